"""HTML reports of a run folder: figures, bilingual text, the self-contained page.

``write_report(run_dir, out_file, lang)`` is the entry point (``results=`` and
``summary=`` skip re-reading a run the caller holds in memory); the figure functions in
:mod:`planner.report.figures` are pure (Dataset, language -> plotly Figure, or the same
figure as plain data for the page).
"""

from __future__ import annotations

from planner.report.page import render_report, write_report

__all__ = ["render_report", "write_report"]
