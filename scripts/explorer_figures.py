"""Screenshots of the explorer's views for docs/explorer.md, taken in Debian's Chromium (Playwright).

    python scripts/explorer_figures.py --demo runs/demo --gen runs/gen --mem runs/mem \
        --l1 runs/parity-l1 --l2 runs/parity-l2 --out docs/figures

Each run folder gets its report (rulesfacts.report.html.build_report) in a temporary folder; the
screenshots are of single panels (element screenshots), so each PNG stays small.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from rulesfacts.report.html import build_compare, build_report

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def panel_of(page, selector: str):
    """The .row (or .panel) holding ``selector``: the unit a screenshot shows."""
    return page.locator(selector).locator("xpath=ancestor::div[contains(@class,'row')][1]")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("demo", "gen", "mem", "l1", "l2"):
        ap.add_argument(f"--{name}", type=Path, required=True)
    ap.add_argument("--sweep", type=Path, help="a sweep folder: its phase grid and one cell's detail")
    ap.add_argument("--out", type=Path, default=Path("docs/figures"))
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp())
    pages = {name: build_report(getattr(a, name), tmp / f"{name}.html")["report"]
             for name in ("demo", "gen", "mem", "l1")}
    pages["parity-cmp"] = build_compare([a.l1, a.l2], tmp / "parity-cmp.html")["report"]
    if a.sweep:
        pages["sweep"] = build_report(a.sweep, tmp / "sweep.html")["report"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)

        def open_(name: str, width: int = 1280, height: int = 900):
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(Path(pages[name]).resolve().as_uri())
            page.wait_for_load_state("load")
            return page

        def snap(locator, name: str) -> None:
            locator.scroll_into_view_if_needed()
            locator.screenshot(path=str(a.out / name))
            print(a.out / name)

        page = open_(name="demo")
        page.screenshot(path=str(a.out / "explorer-run.png"))  # opening view: header, step bar, curves
        print(a.out / "explorer-run.png")
        page.add_style_tag(content=".sticky { position: static !important; }")  # not over the panels
        snap(page.locator("#predictions").locator("xpath=.."), "explorer-predictions.png")  # at the opening step
        n = len(page.evaluate("JSON.parse(document.getElementById('rf-data').textContent).snapshots.frames"))
        page.fill("#scrubber", str(n - 1))
        heat = page.locator("#heatmap")
        heat.scroll_into_view_if_needed()
        box = heat.bounding_box()
        page.mouse.click(box["x"] + 100, box["y"] + 16 + 10.5)  # row 10: a generalizing neuron
        page.mouse.move(0, 0)  # no tooltip in the picture
        snap(panel_of(page, "#heatmap"), "explorer-neuron.png")
        page.select_option("#spectrum-which", "all")
        snap(panel_of(page, "#spectrum"), "explorer-spectrum-star.png")
        page.close()
        for name in ("gen", "mem"):
            page = open_(name)
            n = len(page.evaluate("JSON.parse(document.getElementById('rf-data').textContent).snapshots.frames"))
            page.fill("#scrubber", str(n - 1))
            snap(page.locator("#star").locator("xpath=.."), f"explorer-star-{name}.png")
            page.close()
        page = open_("l1")
        snap(panel_of(page, "#bits"), "explorer-parity.png")
        page.close()
        if a.sweep:
            page = open_("sweep", height=1100)
            cells = page.locator(".cell:not(.empty)")
            cells.nth(cells.count() - 1).click()  # top right: the largest x and y of the last panel
            page.screenshot(path=str(a.out / "explorer-sweep.png"), full_page=True)
            print(a.out / "explorer-sweep.png")
            page.close()
        page = open_("parity-cmp", height=1000)
        page.screenshot(path=str(a.out / "explorer-compare.png"))
        print(a.out / "explorer-compare.png")
        page.close()
        browser.close()


if __name__ == "__main__":
    main()
