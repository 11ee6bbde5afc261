"""The report as a ministry reader sees it, on the shipped national model, in headless
Chromium: at 1400 px no two labels of the named charts overlap, the Chinese report's
visible text holds no English beyond names and units, and the printed PDF holds what the
screen holds (every site's dispatch, the Sankey with its links, the page width used).

Chromium is required (skipped locally without it; CI installs it). The PDF checks use
poppler's ``pdftotext`` and ``pdftoppm`` (CI installs poppler-utils).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

try:
    from tests.test_report import _chromium_args
except ImportError:  # tests/ is not a package
    from test_report import _chromium_args

# The charts whose labels must stay apart: the map and the bar charts by site and hub.
NAMED_CHARTS = (
    "site_map",
    "racks_by_hub",
    "utilisation",
    "energy_mix",
    "green_share",
    "emissions",
    "cost_by_hub",
)

# English a Chinese reader may meet: units, and the names of things (software, data sets).
ALLOWED_EN = {
    "EFLOPS", "FP", "CO", "MW", "MWh", "HiGHS", "tsam", "planner", "Natural", "Earth",
    "world", "atlas", "ISC", "Plotly", "UTC",
}  # fmt: skip

# Run in the page after it has drawn: labels of the named charts that overlap, and the
# English words of the visible text outside translate="no" (names, the model file).
CHECKS = """<script>
window.addEventListener('load', function () { setTimeout(function () {
  var out = {overlaps: {}, words: {}, texts: {}, figures: 0};
  function visible(el) {
    var r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && (el.textContent || '').trim() !== '';
  }
  NAMED.forEach(function (id) {
    var fig = document.getElementById('figure-' + id);
    if (!fig) { out.overlaps[id] = ['missing']; return; }
    out.figures += 1;
    var texts = Array.prototype.filter.call(fig.querySelectorAll('svg text'), function (t) {
      return !t.closest('.hoverlayer') && visible(t);
    });
    out.texts[id] = texts.length;
    var boxes = texts.map(function (t) { return [t.getBoundingClientRect(), t.textContent]; });
    var hits = [];
    for (var i = 0; i < boxes.length; i++) {
      for (var j = 0; j < i; j++) {
        var a = boxes[i][0], b = boxes[j][0];
        var w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        var h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 1.5 && h > 1.5) { hits.push(boxes[i][1] + ' / ' + boxes[j][1]); }
      }
    }
    out.overlaps[id] = hits;
  });
  var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  var node;
  while ((node = walker.nextNode())) {
    var el = node.parentElement;
    if (!el || el.closest('script, style, [translate="no"], .hoverlayer, .modebar, #__checks')) {
      continue;
    }
    var r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) { continue; }
    (node.textContent.match(/[A-Za-z]{2,}/g) || []).forEach(function (w) {
      out.words[w] = (out.words[w] || 0) + 1;
    });
  }
  var pre = document.createElement('pre');
  pre.id = '__checks';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
}, 800); });
</script>"""


@pytest.fixture(scope="module")
def national_reports(national, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The shipped model's run folder (solved once per session) and its two reports."""
    from conftest import SHIPPED_MODELS

    from planner.model_file import load_model, resolved_yaml
    from planner.report.page import write_report
    from planner.results import write_run

    results, summary = national
    root = tmp_path_factory.mktemp("reader")
    model, _ = load_model(SHIPPED_MODELS / "national_2025.yaml")
    run = write_run(root / "national_2025", results, summary, resolved_yaml(model))
    return {lang: write_report(run, root / f"national_{lang}.html", lang) for lang in ("en", "zh")}


_CHECKED: dict[Path, dict] = {}


def _checked(chromium: str, page: Path, tmp_path: Path) -> dict:
    """What CHECKS found in ``page`` (one Chromium run per page, kept for the module)."""
    if page not in _CHECKED:
        _CHECKED[page] = run_checks(chromium, page, tmp_path)
    return _CHECKED[page]


def run_checks(
    chromium: str, page: Path, tmp_path: Path, named: tuple[str, ...] = NAMED_CHARTS
) -> dict:
    """What CHECKS found in ``page`` at 1400 px: overlapping labels and the number of
    visible labels of each of the ``named`` figures, the visible words outside names."""
    html = page.read_text(encoding="utf-8")
    probe = CHECKS.replace("NAMED", json.dumps(list(named)))
    probed = tmp_path / f"checked_{page.name}"
    probed.write_text(html.replace("<head>", "<head>\n" + probe, 1), encoding="utf-8")
    args = _chromium_args(chromium, tmp_path / f"profile_{page.stem}")
    args += ["--window-size=1400,2000", "--dump-dom", probed.as_uri()]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    match = re.search(r'<pre id="__checks">(.*?)</pre>', done.stdout, re.S)
    assert match, done.stderr[-2000:]
    import html as html_lib

    return json.loads(html_lib.unescape(match.group(1)))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_label_overlaps_at_1400_px(
    chromium: str, national_reports: dict[str, Path], tmp_path: Path, lang: str
) -> None:
    checks = _checked(chromium, national_reports[lang], tmp_path)
    assert checks["figures"] == len(NAMED_CHARTS)
    assert {k: v for k, v in checks["overlaps"].items() if v} == {}


def test_chinese_report_reads_as_chinese(
    chromium: str, national_reports: dict[str, Path], tmp_path: Path
) -> None:
    checks = _checked(chromium, national_reports["zh"], tmp_path)
    english = {w: n for w, n in checks["words"].items() if w not in ALLOWED_EN}
    assert english == {}


def _poppler() -> None:
    if not (shutil.which("pdftotext") and shutil.which("pdftoppm")):
        import os

        if os.environ.get("CI"):
            pytest.fail("poppler-utils (pdftotext, pdftoppm) are required in CI")
        pytest.skip("poppler-utils is not installed (apt-get install poppler-utils)")


def _ppm(path: Path) -> np.ndarray:
    """A binary PPM (P6) image as an (h, w, 3) array."""
    data = path.read_bytes()
    header = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    assert header, path
    w, h = int(header.group(1)), int(header.group(2))
    return np.frombuffer(data[header.end() :], dtype=np.uint8)[: w * h * 3].reshape(h, w, 3)


def test_print_to_pdf_keeps_everything(
    chromium: str, national_reports: dict[str, Path], tmp_path: Path
) -> None:
    _poppler()
    from planner.results import read_run

    pdf = tmp_path / "national_en.pdf"
    args = _chromium_args(chromium, tmp_path / "profile_pdf")
    args += ["--window-size=1400,1000", "--no-pdf-header-footer", f"--print-to-pdf={pdf}"]
    subprocess.run([*args, national_reports["en"].as_uri()], capture_output=True, timeout=120)
    assert pdf.is_file() and pdf.stat().st_size > 100_000
    pages = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    text = "\f".join(pages)
    # Every site's hourly balance is on paper, not only the one the screen's menu shows.
    ds, _ = read_run(national_reports["en"].parent / "national_2025")
    for name in ds["site_name_en"].values:
        assert text.count(str(name)) >= 2, name  # tables, and its own dispatch panel
    assert "Hourly power balance" in text and "(3/3)" in text
    # Page 1 is used across its width (not a narrowed screen page) and holds the summary.
    first = pages[0]
    assert "Executive summary" in first and "Targets and what the plan achieves" in first
    # The Sankey has its links: the page that draws it holds their translucent colours.
    sankey = next(i for i, p in enumerate(pages) if "Where demand is served" in p)
    out = tmp_path / "sankey"
    subprocess.run(
        ["pdftoppm", "-r", "40", "-f", str(sankey + 1), "-l", str(sankey + 1), str(pdf), out],
        check=True,
    )
    image = _ppm(next(tmp_path.glob("sankey*.ppm"))).astype(int)
    r, g, b = image[..., 0], image[..., 1], image[..., 2]
    # Links are the service colours at 45 % over white: pink, peach and pale green.
    pink = (r > 215) & (g > 130) & (g < 185) & (b > 130) & (b < 190)
    pale_green = (g > 190) & (r > 140) & (r < 200) & (b > 130) & (b < 190)
    assert pink.mean() > 0.02 and pale_green.mean() > 0.01, (pink.mean(), pale_green.mean())
    # The content spans the page: the right quarter of page 1 is not blank.
    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", str(pdf), tmp_path / "p1"])
    page1 = _ppm(next(tmp_path.glob("p1*.ppm")))
    width = page1.shape[1]
    assert (page1[:, int(0.7 * width) : int(0.95 * width)] < 200).any()
