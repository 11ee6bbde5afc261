"""The HTML report, checked as a reader would: in a real (headless) browser, offline.

Built on the synthetic run folder of tests/report_fixture.py until a real solved run
exists. The browser test needs Chromium: it is skipped with a reason when absent, and
fails instead when the environment variable CI is set.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
import xarray as xr
from click.testing import CliRunner
from plotly.offline import get_plotlyjs

from planner.errors import InputError
from planner.report import figures as F
from planner.report import page as report_page
from planner.report import text
from planner.report.cli import report_command
from planner.report.page import render_report, write_report
from planner.results import read_run, write_run

try:
    from tests.report_fixture import make_run, make_run_folder, make_unsolved_run_folder
except ImportError:  # tests/ is not a package
    from report_fixture import make_run, make_run_folder, make_unsolved_run_folder

REPO = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")
LANGS = ("en", "zh")
MAX_REPORT_BYTES = 10_000_000

# The unit each figure's value axis (or title, for the Sankey) must name, by language.
FIGURE_UNITS = {
    "targets": ("EFLOPS", "EFLOPS"),
    "site_map": ("°E", "°E"),
    "racks_by_hub": ("standard racks", "万架"),
    "utilisation": ("EFLOPS", "EFLOPS"),
    "energy_mix": ("TWh", "千瓦时"),
    "dispatch": ("MW", "万千瓦"),
    "green_share": ("%", "%"),
    "emissions": ("t CO₂", "吨二氧化碳"),
    "flows": ("EFLOPS", "EFLOPS"),
    "cost_by_component": ("billion yuan", "亿元"),
    "cost_by_hub": ("yuan", "元"),
}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run_folder(tmp_path_factory.mktemp("report") / "run")


@pytest.fixture(scope="module")
def results(run_dir: Path) -> xr.Dataset:
    ds, _summary = read_run(run_dir)
    return ds


@pytest.fixture(scope="module")
def reports(run_dir: Path) -> dict[str, Path]:
    out = run_dir.parent / "reports"
    return {lang: write_report(run_dir, out / f"report_{lang}.html", lang) for lang in LANGS}


# --- figures, each alone ----------------------------------------------------------------


def _axis_titles(fig: go.Figure) -> list[str]:
    titles = []
    for name in dir(fig.layout):
        if re.fullmatch(r"[xy]axis\d*", name):
            axis = getattr(fig.layout, name)
            if axis is not None and axis.title is not None and axis.title.text:
                titles.append(axis.title.text)
    return titles


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("fig_id", "func"), [(i, f) for _s, i, f in F.FIGURES])
def test_each_figure_alone(results: xr.Dataset, fig_id: str, func, lang: str) -> None:
    fig = func(results, lang)
    assert isinstance(fig, go.Figure)
    assert len(fig.data) > 0
    assert all(len(trace.to_plotly_json()) > 1 for trace in fig.data)
    title = fig.layout.title.text
    assert title
    unit = FIGURE_UNITS[fig_id][LANGS.index(lang)]
    if fig_id == "flows":
        assert unit in title
    else:
        titles = _axis_titles(fig)
        assert len(titles) >= 2, titles
        assert any(unit in t for t in titles), (unit, titles)
    if lang == "zh":
        assert CJK.search(title), title
        assert all(CJK.search(t) for t in _axis_titles(fig)), _axis_titles(fig)
    else:
        assert not CJK.search(title)


def test_dispatch_menu_picks_each_site(results: xr.Dataset) -> None:
    fig = F.dispatch_figure(results, "en")
    buttons = fig.layout.updatemenus[0].buttons
    assert len(buttons) == results.sizes["site"]
    per_site = len(fig.data) // results.sizes["site"]
    for i, button in enumerate(buttons):
        visible = button.args[0]["visible"]
        assert sum(visible) == per_site
        assert all(visible[i * per_site : (i + 1) * per_site])
    # Supply minus charging and curtailment equals the load in every hour.
    first = [tr for tr in fig.data if tr.visible is True]
    supply = sum(np.asarray(tr.y, dtype=float) for tr in first if tr.stackgroup)
    load = np.asarray(first[-1].y, dtype=float)
    np.testing.assert_allclose(supply, load, atol=0.5)


def test_map_is_cartesian_with_equal_aspect(results: xr.Dataset) -> None:
    fig = F.site_map(results, "zh")
    assert all(tr.type == "scatter" for tr in fig.data)  # no geo trace: nothing fetched
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1
    labels = [a.text for a in fig.layout.annotations if a.name == "site-label"]
    assert "庆阳" in labels
    # The outside aggregate is no site: no bubble, no label, but a line under the map.
    assert "集群以外" not in labels and len(labels) == 2
    lons = {float(x) for tr in fig.data if tr.mode == "markers" for x in tr.x}
    assert 112.0 not in lons
    notes = " ".join(a.text for a in fig.layout.annotations)
    assert "国家集群以外" in notes and "Natural Earth" in notes
    # China's outline, from the shipped boundary file, and a legend of bubble sizes.
    outline = fig.data[0]
    assert outline.fill == "toself" and len(outline.x) > 500
    assert any(tr.mode == "markers+text" and "万架" in tr.text[0] for tr in fig.data)


def test_map_labels_are_placed_apart_at_every_scale() -> None:
    # Horinger and Zhangjiakou, Wuhu and the YRD demo zone: close pairs of the real map.
    lonlat = np.array([[111.6, 40.55], [114.9, 40.82], [118.4, 31.33], [120.9, 31.05]])
    labels = ["Horinger", "Zhangjiakou", "Wuhu", "YRD Demo Zone"]
    radii = np.array([20.0, 25.0, 18.0, 16.0])
    offsets = F.place_labels(lonlat, radii, labels, [1, 0, 2, 3])
    h = F.MAP_LABEL_FONT + 5
    for k in F.MAP_PX_PER_DEG:
        boxes = []
        for (lon, lat), (dx, dy), label in zip(lonlat, offsets, labels, strict=True):
            w = F.text_width_px(label) + 8
            x, y = lon * k + dx, -lat * k + dy
            boxes.append((x - w / 2, y - h / 2, x + w / 2, y + h / 2))
        for i in range(len(boxes)):
            for j in range(i):
                assert not F._overlaps(boxes[i], boxes[j]), (k, labels[i], labels[j])


def test_cost_by_hub_adds_up_the_run_s_costs_by_site(results: xr.Dataset) -> None:
    fig = F.cost_by_hub(results, "zh")
    assert fig.layout.title.text == text.t("fig.cost_hub.title", "zh")
    assert {tr.name for tr in fig.data} >= {text.t("component.capex_racks", "zh")}
    fig = F.cost_by_hub(results, "en")
    # Each panel is in its own unit (the outside aggregate on its own scale).
    per = {"billion": 1e9, "million": 1e6}
    shown = 0.0
    for tr in fig.data:
        axis = fig.layout["xaxis" + tr.xaxis[1:]]
        scale = next((v for k, v in per.items() if k in axis.title.text), 1.0)
        shown += float(np.nansum(tr.x)) * scale
    assert shown == pytest.approx(float(results["site_cost_cny"].sum()), rel=1e-5)
    assert "Outside the hubs" in {y for tr in fig.data for y in tr.y}
    assert fig.layout.yaxis2 is not None  # the outside aggregate apart
    # A run of an earlier version has no costs by site: the figure says so, with no bars.
    old = F.cost_by_hub(results.drop_vars("site_cost_cny"), "en")
    assert len(old.data) == 0 and old.layout.annotations
    assert old.layout.title.text == text.t("fig.cost_hub.partial", "en")


def test_figures_tolerate_optional_variables(results: xr.Dataset) -> None:
    ds = results.drop_vars(["gec_mwh", "green_share_frac", "electricity_price_cny_per_mwh"])
    ds = ds.drop_vars(["om_cny_per_std_rack_year", "carbon_price_cny_per_tco2", "site_cost_cny"])
    # Green share without a hub dimension, derived from its parts.
    ds["green_supply_mwh"] = ds["green_supply_mwh"].sum("hub")
    ds["new_capacity_energy_mwh"] = ds["new_capacity_energy_mwh"].sum("hub")
    for _section, fig_id, func in F.FIGURES:
        fig = func(ds, "en")
        assert isinstance(fig, go.Figure), fig_id
    assert len(F.green_share_figure(ds, "en").data) > 0
    empty = F.cost_by_hub(ds, "en")
    assert len(empty.data) == 0 and empty.layout.annotations


def test_strings_table_is_bilingual() -> None:
    for key, entry in text.STRINGS.items():
        assert set(entry) == {"en", "zh"}, key
        assert entry["en"] and entry["zh"], key
        if key.startswith(("section.", "fig.", "summary.", "intro.", "appendix.")):
            if not key.endswith((".per_year",)):
                assert CJK.search(entry["zh"]), key
    assert text.number(1234567.891) == "1,234,568"
    assert text.number(5.0) == "5"
    assert text.quantity(3.4e11, "CNY", "en") == "340 billion yuan"
    assert text.quantity(3.4e11, "CNY", "zh") == "3,400亿元"
    # Chinese officials count in 万 and 亿; English marginal costs in readable units.
    assert text.quantity(6.72e7, "tCO2/year", "zh") == "6,720万吨二氧化碳/年"
    assert text.quantity(1.34e8, "tCO2", "zh") == "1.34亿吨二氧化碳"
    assert text.quantity(8.86e6, "std_rack", "zh") == "886万架"
    assert text.quantity(14_000, "MW", "zh") == "1,400万千瓦"
    assert text.quantity(1.4e8, "MWh/year", "zh") == "1,400亿千瓦时/年"
    assert text.money_per(1.87e9, "CNY/EFLOPS", "en") == "1.87 bn yuan per EFLOPS"
    assert text.money_per(1.87e9, "CNY/EFLOPS", "zh") == "18.7亿元/EFLOPS"


# --- the page ------------------------------------------------------------------------------


class _Elements(HTMLParser):
    """Collects tags with their attributes, and the data-key numbers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.numbers: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if "data-key" in attributes:
            self.numbers[attributes["data-key"] or ""] = attributes.get("data-value") or "null"


def _parse(page: str) -> _Elements:
    parser = _Elements()
    parser.feed(page)
    return parser


def _lookup(summary: dict, key: str) -> float | None:
    node = summary
    parts = key.split(".")
    if parts[-2:-1] == ["cost_cny"] and parts[-1] == "total":
        return sum(node["per_year"][parts[1]]["cost_cny"].values())
    for part in parts:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def test_summary_numbers_equal_summary_json(run_dir: Path, reports: dict[str, Path]) -> None:
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    for lang in LANGS:
        numbers = _parse(reports[lang].read_text(encoding="utf-8")).numbers
        for year in ("2024", "2025"):
            for key in (
                "total_eflops",
                "target_total_eflops",
                "intelligent_share",
                "target_intelligent_share",
                "green_share",
                "target_green_share",
                "emissions_tco2",
                "racks_new_std",
                "cost_cny.total",
            ):
                assert f"per_year.{year}.{key}" in numbers, (lang, year, key)
        for key in (
            "marginal_costs.total_compute_cny_per_eflops.2025",
            "marginal_costs.intelligent_share_cny_per_point.2025",
            "marginal_costs.green_share_cny_per_point.('gansu', 2025)",
            "shortfall.demand.2025",
            "objective_cny",
        ):
            assert key in numbers, key
        assert any(k.startswith("binding_limits.") for k in numbers)
        for key, raw in numbers.items():
            shown = json.loads(raw)
            expected = _lookup(summary, key)
            if expected is None:
                assert shown is None, key
            else:
                assert math.isclose(shown, expected, rel_tol=1e-12, abs_tol=1e-12), key


def test_shortfall_in_plain_words(reports: dict[str, Path]) -> None:
    en = reports["en"].read_text(encoding="utf-8")
    assert "the demand target falls short by" in en
    zh = reports["zh"].read_text(encoding="utf-8")
    assert "算力需求目标存在缺口" in zh


def test_user_text_is_escaped(tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>"
    run = make_run_folder(
        tmp_path / "evil",
        scenario=evil,
        description='<img src=x onerror="alert(2)">',
        site_names_en=['<b onmouseover="alert(3)">Q</b>', "Yangtze & co", "Outside"],
        with_data=False,
    )
    for lang in LANGS:
        page = render_report(run, lang)
        # This run carries no provenance: the appendix says so instead of listing sources.
        assert {"en": "carries no record of the sources", "zh": "未记录输入数据的来源"}[
            lang
        ] in page
        assert evil not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<img src=x" not in page and 'onmouseover="alert' not in page
        tags = _parse(page).tags
        assert not [a for tag, a in tags if tag == "img"]
        assert all("onerror" not in a and "onmouseover" not in a for _t, a in tags)
    # The default output name is file-safe whatever the scenario is called.
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(report_command, [str(run)], catch_exceptions=False)
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    written = list((tmp_path / "reports").glob("*.html"))
    assert len(written) == 1 and "<" not in written[0].name and "/" not in written[0].stem


def test_self_contained(reports: dict[str, Path]) -> None:
    plotly_head = get_plotlyjs()[:500]
    for lang, path in reports.items():
        page = path.read_text(encoding="utf-8")
        assert path.stat().st_size < MAX_REPORT_BYTES
        assert page.count(plotly_head) == 1, "plotly.js must be embedded exactly once"
        tags = _parse(page).tags
        for tag, attrs in tags:
            for name in ("src", "href", "srcset", "data", "poster", "action"):
                value = (attrs.get(name) or "").strip().lower()
                assert not value.startswith(("http:", "https:", "//", "ftp:")), (tag, attrs)
            if tag == "link":
                assert (attrs.get("rel") or "") not in ("stylesheet", "preload", "prefetch")
        scripts = [a for tag, a in tags if tag == "script"]
        assert all(not a.get("src") for a in scripts)
        assert "@import" not in page.split(plotly_head)[0]
        assert "@font-face" not in page.replace(get_plotlyjs(), "")
        assert "@media print" in page
        expected = "zh-CN" if lang == "zh" else "en"
        assert f'<html lang="{expected}">' in page
    assert "Noto Sans CJK SC" in reports["zh"].read_text(encoding="utf-8")


def test_write_is_atomic_and_checks_the_run_folder(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "r.html"
    write_report(run_dir, out, "en")
    before = out.read_bytes()
    not_a_run = tmp_path / "empty"
    not_a_run.mkdir()
    with pytest.raises(InputError, match="is not a run folder"):
        write_report(not_a_run, out, "en")
    with pytest.raises(InputError, match="is not a folder"):
        write_report(tmp_path / "missing", out, "en")
    assert out.read_bytes() == before
    assert [p.name for p in out.parent.iterdir()] == ["r.html"]  # no temp file left
    result = CliRunner().invoke(report_command, [str(not_a_run)])
    assert isinstance(result.exception, InputError)


def test_cli_writes_the_report(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli" / "national.html"
    result = CliRunner().invoke(report_command, [str(run_dir), "--lang", "zh", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert '<html lang="zh-CN">' in out.read_text(encoding="utf-8")
    bad = CliRunner().invoke(report_command, [str(run_dir), "--lang", "fr"])
    assert bad.exit_code == 2


def test_results_in_memory_give_the_same_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The page carries the minute it was made; hold it still so that pages compare.
    monkeypatch.setattr(report_page, "_generated_at", lambda: "2025-01-01 00:00 UTC")
    results, summary, yaml_text = make_run(tmp_path / "run")
    run = write_run(tmp_path / "run", results, summary, yaml_text)
    names_before = set(results.variables)
    for lang in LANGS:
        from_folder = render_report(run, lang)
        # As 'planner plan' holds them, before writing: tuple keys in the summary.
        assert render_report(run, lang, results=results, summary=summary) == from_folder
        # As read_run returns them.
        ds, on_disk = read_run(run)
        assert render_report(run, lang, results=ds, summary=on_disk) == from_folder
        # Either one alone; the other is read from the folder.
        assert render_report(run, lang, results=ds) == from_folder
        assert render_report(run, lang, summary=summary) == from_folder
    # The report adds display names to its own copy, never to the caller's Dataset.
    assert set(results.variables) == names_before
    # With both in memory, results.nc is not read at all.
    (run / "results.nc").unlink()
    out = write_report(run, tmp_path / "mem.html", "zh", results=results, summary=summary)
    assert out.read_text(encoding="utf-8") == render_report(
        run, "zh", results=results, summary=summary
    )
    with pytest.raises(InputError, match=r"results\.nc missing"):
        render_report(run, "en")


def test_figure_json_matches_plotly(results: xr.Dataset) -> None:
    # The page serialises the figures' plain data itself; it must say what plotly.py
    # would say of the same figure (typed arrays included), minus plotly's validation.
    for _section, fig_id, func in F.FIGURE_SPECS:
        spec = func(results, "zh")
        ours = json.loads(F.to_json(spec))
        theirs = json.loads(F.to_figure(spec).to_json())
        assert ours == _without_empty(theirs), fig_id
    assert "<" not in F.to_json({"data": [], "layout": {"title": {"text": "</script>"}}})


def _without_empty(value):
    """plotly.py writes {} for a property set to None; the page leaves it out."""
    if isinstance(value, dict):
        return {k: _without_empty(v) for k, v in value.items() if v != {}}
    if isinstance(value, list):
        return [_without_empty(v) for v in value]
    return value


def test_run_without_a_plan_still_reports(tmp_path: Path) -> None:
    run = make_unsolved_run_folder(tmp_path / "no_plan")
    page = render_report(run, "zh")
    assert "求解器未给出方案" in page and "不可行" in page
    assert 'id="appendix"' in page and 'data-plot="' not in page


# --- in a real browser ---------------------------------------------------------------------

# Injected first in <head> of the page under test: records script errors, console errors
# and any resource that is not file:/data:/blob: into a <pre> the DOM dump carries.
PROBE = """<script>
(function () {
  var log = [];
  function put(kind, msg) {
    log.push(kind + ': ' + msg);
    var el = document.getElementById('__probe');
    if (!el) {
      el = document.createElement('pre'); el.id = '__probe';
      (document.body || document.documentElement).appendChild(el);
    }
    el.textContent = log.join('\\n');
  }
  window.addEventListener('error', function (e) {
    var t = e.target || {};
    put('error', e.message || ('resource failed: ' + (t.src || t.href || t.tagName)));
  }, true);
  window.addEventListener('unhandledrejection', function (e) {
    put('error', 'rejection ' + e.reason);
  });
  var ce = console.error;
  console.error = function () {
    put('error', Array.prototype.join.call(arguments, ' '));
    ce.apply(console, arguments);
  };
  try {
    new PerformanceObserver(function (list) {
      list.getEntries().forEach(function (en) {
        if (!/^(file|data|blob|about):/.test(en.name)) { put('network', en.name); }
      });
    }).observe({type: 'resource', buffered: true});
  } catch (err) { put('error', 'no PerformanceObserver: ' + err); }
  window.addEventListener('load', function () {
    setTimeout(function () {
      performance.getEntriesByType('resource').forEach(function (en) {
        if (!/^(file|data|blob|about):/.test(en.name)) { put('network', en.name); }
      });
      put('done', document.querySelectorAll('.js-plotly-plot').length);
    }, 300);
  });
})();
</script>"""


def _chromium_args(binary: str, profile: Path) -> list[str]:
    return [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=10000",
    ]


def test_report_renders_offline_in_chromium(
    chromium: str, reports: dict[str, Path], tmp_path: Path
) -> None:
    jobs = {}
    for lang, path in reports.items():
        page = path.read_text(encoding="utf-8")
        probed = tmp_path / f"probed_{lang}.html"
        probed.write_text(page.replace("<head>", "<head>\n" + PROBE, 1), encoding="utf-8")
        shot = tmp_path / f"report_screenshot_{lang}.png"
        dump = _chromium_args(chromium, tmp_path / f"profile_dump_{lang}")
        snap = _chromium_args(chromium, tmp_path / f"profile_shot_{lang}")
        snap += [f"--screenshot={shot}", "--window-size=1400,3000"]
        jobs[lang] = (
            page,
            shot,
            subprocess.Popen(
                [*dump, "--dump-dom", probed.as_uri()],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
            subprocess.Popen(
                [*snap, path.as_uri()], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            ),
        )
    for lang, (page, shot, dump_proc, shot_proc) in jobs.items():
        dom, err = dump_proc.communicate(timeout=60)
        shot_proc.communicate(timeout=60)
        assert dump_proc.returncode == 0, err[-2000:]
        probe = re.search(r'<pre id="__probe">(.*?)</pre>', dom, re.S)
        assert probe, "the probe never reported: the page did not finish loading"
        lines = probe.group(1).splitlines()
        n_figures = page.count('data-plot="plot-')
        assert f"done: {n_figures}" in lines, lines
        assert not [x for x in lines if x.startswith("error")], lines
        assert not [x for x in lines if x.startswith("network")], lines
        assert "Uncaught" not in err, err[-2000:]
        # Every figure drew an SVG with content.
        chunks = dom.split('<div class="figure" id="figure-')[1:]
        assert len(chunks) == n_figures >= 10
        for chunk in chunks:
            fig_id = chunk.split('"', 1)[0]
            svg = re.search(r'<svg class="main-svg"[^>]*>(.*?)</svg>', chunk, re.S)
            assert svg and re.search(r"<(path|rect|text|g)\b", svg.group(1)), fig_id
        assert ('lang="zh-CN"' in dom) == (lang == "zh")
        assert shot.exists() and shot.stat().st_size > 10_000, shot
        bench = REPO / "benchmarks"
        bench.mkdir(exist_ok=True)
        shutil.copyfile(shot, bench / f"report_screenshot_{lang}.png")


def _two_key_sweep():
    prices = [0.0, 100.0, 200.0, 0.0, 100.0, 200.0]
    shares = [0.35, 0.35, 0.35, 0.40, 0.40, 0.40]
    cost = [400e9 + 1e8 * p + 5e10 * (s - 0.35) for p, s in zip(prices, shares, strict=True)]
    em = np.array([[80e6 - 1e4 * p, 79e6 - 1e4 * p] for p in prices])
    return xr.Dataset(
        {
            "objective_cny": ("case", cost),
            "emissions_tco2": (("case", "year"), em),
            "total_eflops": (("case", "year"), np.full((6, 2), 306.0)),
            "shortfall_intelligent_share": (("case", "year"), [[0, 0]] * 3 + [[0, 9.2]] * 3),
            "failed": ("case", np.zeros(6, bool)),
            "status": ("case", np.array(["optimal"] * 6)),
        },
        coords={
            "case": [f"{i:04d}-abcdef{i:02d}" for i in range(6)],
            "year": [2024, 2025],
            "carbon_price_cny_per_tco2": ("case", prices),
            "target.intelligent_share.2025": ("case", shares),
        },
        # The model as given: no carbon price, the 35 % share (its 4th case is the base
        # here when the price is 100: the base case need not be the first).
        attrs={"mode": "product", "base_values": json.dumps(
            {"carbon_price_cny_per_tco2": 100, "target.intelligent_share.2025": 0.35})},
    )  # fmt: skip


def _frontier():
    fracs = [0.0, 1 / 3, 2 / 3, 1.0]
    em = np.array([[62e6, 61e6], [64e6, 63e6], [65e6, 64e6], [67e6, 66e6]])
    return xr.Dataset(
        {
            "objective_cny": ("case", [409e9, 405.9e9, 405.2e9, 405e9]),
            "emissions_tco2": (("case", "year"), em),
            "total_eflops": (("case", "year"), np.full((4, 2), 306.0)),
            "failed": ("case", np.zeros(4, bool)),
            "status": ("case", np.array(["optimal"] * 4)),
        },
        coords={
            "case": [f"{i:04d}-hash{i}" for i in range(4)],
            "year": [2024, 2025],
            "carbon_cap_tco2.2024": ("case", em[:, 0]),
            "carbon_cap_tco2.2025": ("case", em[:, 1]),
            "cap_frac": ("case", fracs),
        },
        attrs={"mode": "pareto"},
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sweep_views(lang: str) -> None:
    from planner.report import sweep_views as SV

    sweep = _two_key_sweep()
    assert SV.varied_keys(sweep) == ["carbon_price_cny_per_tco2", "target.intelligent_share.2025"]
    assert SV.base_case(sweep) == 1  # the model's own values, not silently case 0
    views = dict(SV.view_specs(sweep, lang))
    assert set(views) == {"sweep", "sweep_lines", "sweep_tornado", "sweep_heatmap"}
    lines = F.to_figure(views["sweep_lines"])
    assert len(lines.data) == 2  # one line per intelligent-share value
    title = {
        "en": "Discounted total cost as the carbon price moves",
        "zh": "折现总成本随碳价的变化",
    }
    assert lines.layout.title.text == title[lang]
    heat = F.to_figure(views["sweep_heatmap"])
    scale = 1e9 if lang == "en" else 1e8  # billion yuan / 亿元
    assert heat.data[0].z[1][2] == pytest.approx(422.5e9 / scale)  # share 40 %, price 200
    # Readable labels from the keys' own names and units, in the reader's language.
    names = {
        "en": ("Carbon price (yuan per t CO₂)", "Intelligent share target 2025 (%)"),
        "zh": ("碳价（元/吨二氧化碳）", "2025年智能算力占比目标（%）"),
    }[lang]
    assert heat.layout.xaxis.title.text == names[0] and heat.layout.yaxis.title.text == names[1]
    assert heat.data[0].y == (("35 %", "40 %") if lang == "en" else ("35%", "40%"))
    tornado = F.to_figure(views["sweep_tornado"])
    high = dict(zip(tornado.data[1].y, tornado.data[1].x, strict=True))
    price = {"en": "Carbon price", "zh": "碳价"}[lang]
    assert high[price] == pytest.approx(1e10 / scale)  # from 100 to 200: +10 bn yuan
    scatter = F.to_figure(views["sweep"])
    # The year each axis counts; points by their row in the case table, never a hash.
    assert (
        "2025" in scatter.layout.xaxis.title.text and "2024–2025" in scatter.layout.yaxis.title.text
    )
    assert sorted(scatter.data[0].text) == ["1", "2", "3", "4", "5", "6"]
    legend = {"en": ["Cases", "Base case"], "zh": ["情景", "基准情景"]}[lang]
    assert [d.name for d in scatter.data] == legend
    assert not any("abcdef" in str(t) for t in scatter.data[0].text)
    table = SV.case_table(sweep, lang)
    assert table.count("<tr>") == 7 and "abcdef" not in table
    base_badge = {"en": "base case", "zh": "基准情景"}[lang]
    rows = table.split("<tbody>")[1].split("</tr>")
    assert base_badge in rows[1] and base_badge not in rows[0]
    assert {"en": "short", "zh": "未达成"}[lang] in rows[4]  # the 40 % share falls short
    assert "+10" in rows[2] or "+100" in rows[2]  # cost against the base case


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_frontier_views(lang: str) -> None:
    from planner.report import sweep_views as SV

    frontier = _frontier()
    assert SV.is_frontier(frontier) and SV.base_case(frontier) == 3  # the least-cost end
    views = SV.view_specs(frontier, lang)
    assert [v for v, _spec in views] == ["frontier"]  # no tornado, heat map or lone dots
    fig = F.to_figure(views[0][1])
    assert {"en": "2024–2025 in total", "zh": "2024–2025年累计"}[
        lang
    ] in fig.layout.xaxis.title.text
    assert fig.data[0].mode == "lines+markers+text"
    assert fig.data[0].name == {"en": "Points on the frontier", "zh": "前沿上的点"}[lang]
    table = SV.case_table(frontier, lang)
    assert {"en": "least-cost end", "zh": "最低成本端"}[lang] in table
    assert {"en": "The points on the frontier", "zh": "前沿上的点一览"}[lang] in table
    assert {"en": "least-carbon end", "zh": "最低碳端"}[lang] in table
    # The least-carbon end cuts 10 Mt over the two years for 4 bn yuan: 400 yuan a tonne.
    assert 'data-value="400.0"' in table


def test_sweep_report_puts_the_sweep_first(run_dir: Path, tmp_path: Path) -> None:
    page = render_report(run_dir, "en", sweep=_two_key_sweep())
    assert page.index('id="sweep"') < page.index('id="summary"')
    assert "a what-if sweep of 6 cases" in page and "What-if sweep" in page
    page = render_report(run_dir, "zh", sweep=_frontier())
    assert page.index('id="sweep"') < page.index('id="summary"')
    assert "成本—碳排放前沿" in page and "情景分析" not in page


def test_run_folder_gets_the_usual_permissions(tmp_path: Path) -> None:
    # Built in a mkdtemp folder (0700) and renamed: it must end up as mkdir would make it.
    from planner.atomic import current_umask

    results, summary, yaml_text = make_run(tmp_path / "run")
    run = write_run(tmp_path / "run", results, summary, yaml_text)
    assert run.stat().st_mode & 0o777 == 0o777 & ~current_umask()
    assert (run / "summary.json").stat().st_mode & 0o777 == 0o666 & ~current_umask()


def test_the_appendix_reads_the_sources_from_the_run_folder_alone(tmp_path: Path) -> None:
    """The run carries its data provenance: the report lists the sources of its inputs
    after the data folder has gone, and never shows a local data path."""
    run = make_run_folder(tmp_path / "run")
    data_dir = tmp_path / "run_data"
    shutil.rmtree(data_dir)
    page = render_report(run, "en")
    assert "sites.csv" in page and "Implementation Opinions on East Data West Computing" in page
    assert str(data_dir) not in page and str(tmp_path) not in page


def test_chinese_reads_as_chinese_in_the_page_parts() -> None:
    line = "8 representative days (tsam 4.1.1, hierarchical, medoid, means preserved); weighted RMSE 0.2092"  # noqa: E501
    assert text.time_slices(line, "zh") == (
        "8个典型日（tsam 4.1.1，层次聚类，中心点代表日，保持均值）；加权均方根误差 0.2092"
    )
    assert text.time_slices(line, "en") == line
    assert text.time_slices("full year", "zh") == "全年8760小时"
    assert text.solver_message("Optimal", "zh") == "已求得最优解"
    benders = "Benders decomposition: 17 blocks, 255 cuts, gap 3.53e-05 between the plan and "
    assert text.solver_message(benders + "the master's bound", "zh") == (
        "Benders分解：17个子问题、255条割平面，方案与主问题下界之间的间隙为3.53e-05"
    )
    # Every message planner's own solve strategy writes has its Chinese.
    import ast

    import planner.solve.strategy as strategy

    tree = ast.parse(Path(strategy.__file__).read_text(encoding="utf-8"))
    written = [
        node.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "message" for t in node.targets)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    ]
    assert len(written) >= 2
    assert [m for m in written if m not in text.SOLVER_MESSAGES_ZH] == []
    assert text.issuer("NDRC; NDA; CAC; MIIT; NEA", "zh") == (
        "国家发展和改革委员会、国家数据局、国家互联网信息办公室、工业和信息化部、国家能源局"
    )
    title = "算力基础设施高质量发展行动计划 (Action Plan for High-Quality Development)"
    assert text.document(title, "zh") == "算力基础设施高质量发展行动计划"
    assert text.document(title, "en") == title
    # An English title stays as it is: it is a name.
    assert text.document("Energy and AI (2025)", "zh") == "Energy and AI (2025)"


def test_chinese_report_counts_emissions_in_wan_and_yi_tonnes(reports: dict[str, Path]) -> None:
    """The summary card and the targets table say 万吨 / 亿吨, not 百万吨."""
    page = reports["zh"].read_text(encoding="utf-8")
    summary = page.split('<section id="summary">')[1].split("</section>")[0]
    assert "百万吨" not in summary
    assert re.search(r"[\d,.]+(万|亿)吨二氧化碳/年", summary)


def test_the_chinese_report_takes_description_zh_from_the_model_file(tmp_path: Path) -> None:
    results, summary, yaml_text = make_run(tmp_path / "run")
    yaml_text += "description_zh: 中文说明：合成的测试运行。\n"
    run = write_run(tmp_path / "run", results, summary, yaml_text)
    zh = render_report(run, "zh")
    assert '<p class="description">中文说明：合成的测试运行。</p>' in zh
    assert "Synthetic run for the report tests" not in zh.split("<main>")[0]
    assert "Synthetic run for the report tests" in render_report(run, "en")


def test_no_banner_repeated_and_marginal_costs_in_readable_units(
    reports: dict[str, Path],
) -> None:
    en = reports["en"].read_text(encoding="utf-8")
    assert "In the solver's words" not in en and en.count("All targets are met.") <= 1
    assert "bn yuan per EFLOPS" in en or "million yuan per EFLOPS" in en
    zh = reports["zh"].read_text(encoding="utf-8")
    assert "亿元/EFLOPS" in zh or "万元/EFLOPS" in zh


def test_utilisation_and_cost_by_site_tables(results: xr.Dataset) -> None:
    from planner.report import tables

    page = tables.utilisation_table(results, "en")
    assert "How the racks are used" in page and "Occupancy 2025" in page
    # Served and in service are the run's own numbers.
    shown = [
        float(v) for v in re.findall(r'data-value="([\d.e+-]+)" data-var="compute_eflops"', page)
    ]
    expected = results["compute_eflops"].sum("rack_class").sel(year=2025).values
    np.testing.assert_allclose(shown, expected)
    assert "idle beyond the rules" not in page
    # A site that serves less than its rules require is flagged.
    idle = results.copy()
    idle["served_site_eflops"] = idle["served_site_eflops"] * xr.DataArray(
        [0.2, 1.0, 1.0], dims="site", coords={"site": idle["site"].values}
    )
    flags = tables.idle_flags(idle)
    assert bool(flags.sel(site="qingyang").all()) and not bool(flags.sel(site="outside").any())
    assert "idle beyond the rules" in tables.utilisation_table(idle, "en")
    cost = tables.site_cost_table(results, "zh")
    assert "为何选址于此" in cost and "亿元/年" in cost and "每EFLOPS在用算力" in cost
    body = cost.split("<tbody>")[1]
    rows = [
        [float(v) for v in re.findall(r'data-value="([\d.e+-]+)"', row)]
        for row in body.split("</tr>")[:-1]
    ]
    assert len(rows) == results.sizes["site"]
    for row in rows:  # new racks, in service, four groups, total, per EFLOPS
        assert sum(row[2:6]) == pytest.approx(row[6])
        assert row[7] == pytest.approx(row[6] / row[1])
    total = float(results["site_cost_cny"].sel(year=2025).sum())
    assert sum(row[6] for row in rows) == pytest.approx(total)


def test_csv_tables_never_show_minus_zero(tmp_path: Path) -> None:
    results, summary, yaml_text = make_run(tmp_path / "run")
    results["racks_new_std"][0, 2, 0] = -0.0
    results["compute_eflops"][0, 2, 0] = -1e-13
    run = write_run(tmp_path / "run", results, summary, yaml_text)
    for table in (run / "tables").glob("*.csv"):
        body = table.read_text(encoding="utf-8")
        assert not re.search(r"(^|,)-0(,|$)", body, re.M), table.name
        assert "e-13" not in body, table.name


def test_messages_name_sites_not_ids() -> None:
    from planner.cli import _named

    names = {"yrd_demo": "YRD Eco-Green Integration Demonstration Zone cluster", "gansu": "Gansu"}
    said = _named("Limits the plan presses against: Solar capacity limit at yrd_demo.", names)
    assert said.endswith("at YRD Eco-Green Integration Demonstration Zone cluster.")
    assert _named("at yrd_demo_x", names) == "at yrd_demo_x"
