"""The reports in a real browser: Debian's Chromium driven by Playwright (no browser download).

Screenshots go to test-artifacts/ at the repository root (gitignored) for a human to look at.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rulesfacts.report.html import build_report
from tests.report.conftest import needs_theory

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api", reason="the 'browser' extra (playwright) is not installed")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (bash scripts/setup.sh dev,browser installs it)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser):
    """Open a report from disk; collect console errors, page errors and any network request."""
    pages = []

    def go(path: Path):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.problems, page.requests = [], []
        page.on("console", lambda m: m.type in ("error", "warning") and page.problems.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: page.problems.append(f"pageerror: {e}"))
        page.on("request", lambda r: not r.url.startswith(("file:", "data:", "blob:")) and page.requests.append(r.url))
        page.goto(path.resolve().as_uri())
        page.wait_for_load_state("load")
        pages.append(page)
        return page

    yield go
    for p in pages:
        p.close()


def canvas_pixels(page, selector: str) -> str:
    return page.eval_on_selector(selector, "c => c.toDataURL()")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_run_report_scrubber_moves_step_and_heatmap(open_page, trained_run, tmp_path):
    page = open_page(Path(build_report(trained_run, tmp_path / "run.html")["report"]))
    assert page.title().startswith("rulesfacts run")
    label, heat = page.inner_text("#step-label"), canvas_pixels(page, "#heatmap")
    assert label.startswith("epoch 60")  # opens at the last snapshot
    shot(page, "report-run.png")
    page.fill("#scrubber", "0")  # sets the value and fires 'input', like a drag to the start
    assert page.inner_text("#step-label").startswith("epoch 0 ")
    assert canvas_pixels(page, "#heatmap") != heat
    assert page.is_visible("#prune") and page.is_visible("#ipr") and page.is_visible("#spectrum")
    # every panel explains itself
    assert page.locator(".panel .help").count() >= 5
    shot(page, "report-run-epoch0.png")
    assert page.problems == [] and page.requests == []


def test_run_report_sort_and_prune_controls(open_page, analytic_run, tmp_path):
    page = open_page(Path(build_report(analytic_run, tmp_path / "a.html")["report"]))
    before = canvas_pixels(page, "#heatmap")
    page.select_option("#sort", "index")
    assert canvas_pixels(page, "#heatmap") != before  # rows re-ordered
    spectrum = canvas_pixels(page, "#spectrum")
    page.select_option("#spectrum-which", "all")  # per-neuron image → summed bars
    assert canvas_pixels(page, "#spectrum") != spectrum
    prune = canvas_pixels(page, "#prune")
    page.click("button[data-order=high]")
    assert canvas_pixels(page, "#prune") != prune
    assert page.problems == [] and page.requests == []


def test_sweep_cell_click_shows_that_run(open_page, tiny_sweep, tmp_path):
    page = open_page(Path(build_report(tiny_sweep, tmp_path / "sweep.html")["report"]))
    assert page.locator(".cell:not(.empty)").count() == 8
    cell = page.locator(".cell:not(.empty)").nth(5)
    run_id = cell.get_attribute("data-run")
    cell.click()
    assert run_id in page.inner_text("#detail-title")
    assert "sel" in cell.get_attribute("class")
    curves = canvas_pixels(page, "#detail-curves")
    other = page.locator(".cell:not(.empty)").nth(0)
    other.click()
    assert other.get_attribute("data-run") in page.inner_text("#detail-title")
    assert canvas_pixels(page, "#detail-curves") != curves
    colours = page.eval_on_selector_all(".cell:not(.empty)", "cs => cs.map(c => c.style.background)")
    page.select_option("#metric", "test_acc")
    assert page.eval_on_selector_all(".cell:not(.empty)", "cs => cs.map(c => c.style.background)") != colours
    shot(page, "report-sweep.png")
    assert page.problems == [] and page.requests == []


@needs_theory
def test_theory_lambda_slider_switches_curves(open_page, theory_spec, tmp_path):
    page = open_page(Path(build_report(theory_spec, tmp_path / "theory.html")["report"]))
    label, pixels = page.inner_text("#lam-label"), canvas_pixels(page, "#theory-curves")
    assert label.startswith("λ = 0.01")
    page.fill("#lam-slider", "2")
    assert page.inner_text("#lam-label").startswith("λ = 1 ")
    assert canvas_pixels(page, "#theory-curves") != pixels
    page.select_option("#eps", "1")
    assert "ε = 0.3" in page.inner_text("#lam-label")
    shot(page, "report-theory.png")
    assert page.problems == [] and page.requests == []
