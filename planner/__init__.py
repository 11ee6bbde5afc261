"""planner: least-cost, low-carbon build-out of China's national computing power."""

from __future__ import annotations

__version__ = "0.1.0"

from planner._imports import defer_unused_scipy

defer_unused_scipy()
