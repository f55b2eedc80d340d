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


# ---------- the explorer's views: neuron detail, star, predictions, per-task panels, compare ----------
def report_json(page):
    return page.evaluate("JSON.parse(document.getElementById('rf-data').textContent)")


def scrub_to(page, i: int, selector: str = "#scrubber") -> None:
    page.fill(selector, str(i))


def radius_cv(x, y) -> float:
    import numpy as np

    r = np.hypot(np.asarray(x, float), np.asarray(y, float))
    return float(r.std() / r.mean())


def test_clicking_a_heatmap_row_opens_that_neurons_wave(open_page, generalizing_run, tmp_path):
    import numpy as np

    from rulesfacts.analysis.neurons import neuron_table
    from rulesfacts.training.rundir import load_run

    page = open_page(Path(build_report(generalizing_run, tmp_path / "gen.html")["report"]))
    data = report_json(page)
    snaps = data["snapshots"]
    last = len(snaps["frames"]) - 1
    scrub_to(page, last)
    run = load_run(generalizing_run)
    p = run.config.p
    table = neuron_table(run.snapshot(snaps["epochs"][last]), p, threshold=snaps["ipr_threshold"])
    page.locator("#heatmap").scroll_into_view_if_needed()
    box = page.locator("#heatmap").bounding_box()
    top, row_px = 16, 360 // snaps["neurons"]  # heatmaps(): title band, then whole pixels per row
    for row in (0, 7, snaps["neurons"] - 1):
        page.mouse.click(box["x"] + 120, box["y"] + top + (row + 0.5) * row_px)
        neuron = snaps["neuron_ids"][snaps["final_order"][row]]
        assert int(page.get_attribute("#neuron-detail", "data-neuron")) == neuron
        # the frequency the page shows is the analysis's dominant frequency of that neuron, per weight vector
        for part, col in (("a", "freq_a"), ("b", "freq_b"), ("out", "freq_out")):
            assert int(page.get_attribute(f"#neuron-{part}", "data-freq")) == int(table[col][neuron])
        assert f"f={int(table['freq_a'][neuron])}" in page.inner_text("#neuron-info")
    # a generalizing neuron: the plotted weights (8-bit codes) are a wave at that frequency, and the
    # fitted cosine drawn through them explains at least the share of their variance that the IPR
    # promises (IPR = Σ v_k⁴ ≤ max_k v_k², and the cosine holds v_f² of the energy), less 0.05 for
    # the 8-bit codes
    page.mouse.click(box["x"] + 120, box["y"] + top + 0.5 * row_px)
    neuron = snaps["neuron_ids"][snaps["final_order"][0]]
    assert table["label"][neuron] == "generalizing"
    import json

    series = json.loads(page.get_attribute("#neuron-detail", "data-series"))
    w = np.asarray(series[0]["weights"])
    assert np.argmax(np.abs(np.fft.rfft(w))[1:]) + 1 == table["freq_a"][neuron]
    f = series[0]["fit"]
    wave = f["dc"] + f["amp"] * np.cos(2 * np.pi * f["freq"] * np.arange(p) / p + f["phase"])
    explained = 1 - ((w - wave) ** 2).sum() / ((w - w.mean()) ** 2).sum()
    assert explained > max(0.5, table["ipr_a"][neuron] - 0.05)
    shot(page, "explorer-neuron.png")
    assert page.problems == [] and page.requests == []


def test_star_view_is_a_circle_for_a_generalizing_run_only(open_page, generalizing_run, memorizing_run, tmp_path):
    """Bound: the radius CV of the star points is 0 for exact cosines (tests/report/test_task_views.py)
    and ≈ 0.52 (Rayleigh) when noise dominates; 0.2 allows a residual of 20 % of the radius."""
    import numpy as np

    from rulesfacts.report.task_views import star_coordinates, star_members
    from rulesfacts.training.rundir import load_run

    page = open_page(Path(build_report(generalizing_run, tmp_path / "gen.html")["report"]))
    data = report_json(page)
    snaps = data["snapshots"]
    last = len(snaps["frames"]) - 1
    scrub_to(page, last)
    k = snaps["star_freqs"][0]  # the key frequency: most generalizing neurons
    assert page.input_value("#star-k") == str(k)
    x, y = page.evaluate("JSON.parse(document.getElementById('star').dataset.points)")
    assert radius_cv(x, y) < 0.2
    # the points are the Python formula's on the snapshot weights (3 significant digits on the page)
    run = load_run(generalizing_run)
    p = run.config.p
    w_a = run.snapshot(snaps["epochs"][last])["W_in"][:, :p][np.asarray(snaps["neuron_ids"])]
    final_freq = np.empty(snaps["neurons"], int)
    final_freq[snaps["final_order"]] = snaps["final_freq"]
    ref = star_coordinates(w_a[star_members(final_freq, np.asarray(snaps["final_generalizing"], bool), k)], k)
    np.testing.assert_allclose([x, y], ref, rtol=5e-3, atol=5e-3 * np.abs(ref).max())  # 3 significant digits
    shot(page, "explorer-star-generalizing.png")
    assert page.problems == [] and page.requests == []

    page = open_page(Path(build_report(memorizing_run, tmp_path / "mem.html")["report"]))
    mem = report_json(page)["snapshots"]
    scrub_to(page, len(mem["frames"]) - 1)
    for k in mem["star_freqs"]:
        page.select_option("#star-k", str(k))
        x, y = page.evaluate("JSON.parse(document.getElementById('star').dataset.points)")
        assert radius_cv(x, y) > 0.2, k
    assert page.problems == [] and page.requests == []


def test_predictions_grid_agrees_with_the_evaluated_snapshot(open_page, memorizing_run, tmp_path):
    from rulesfacts.training.evaluate import evaluate
    from rulesfacts.training.rundir import load_run

    page = open_page(Path(build_report(memorizing_run, tmp_path / "mem.html")["report"]))
    snaps = report_json(page)["snapshots"]
    last = len(snaps["frames"]) - 1
    scrub_to(page, last)
    run = load_run(memorizing_run)
    m = evaluate(run.config, run.snapshot(snaps["epochs"][last]))

    def count(key):
        text = page.inner_text(f'#pred-legend [data-key="{key}"]')
        return int(text.rsplit(":", 1)[1])

    n_test = count("test: rule") + count("test: neither")
    n_facts = count("train (fact): rule") + count("train (fact): fact") + count("train (fact): neither")
    assert count("test: rule") / n_test == pytest.approx(m["test_acc"], abs=1e-6)
    assert count("train (fact): fact") / n_facts == pytest.approx(m["facts_memorized"], abs=1e-6)
    assert page.problems == [] and page.requests == []


def hover_text(page, selector: str, fx: float, fy: float) -> str:
    page.locator(selector).scroll_into_view_if_needed()
    box = page.locator(selector).bounding_box()
    page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
    assert page.is_visible("#tooltip")
    return page.inner_text("#tooltip")


def test_hover_reads_out_values(open_page, generalizing_run, tmp_path):
    page = open_page(Path(build_report(generalizing_run, tmp_path / "gen.html")["report"]))
    t = hover_text(page, "#curves-acc", 0.4, 0.5)
    assert t.startswith("epoch ") and "test: " in t and "clean train: " in t
    t = hover_text(page, "#heatmap", 0.3, 0.3)
    assert "neuron " in t and "token " in t and "w = " in t and "IPR" in t
    t = hover_text(page, "#predictions", 0.1, 0.3)
    assert t.startswith("a=") and "rule: " in t and "net: " in t
    t = hover_text(page, "#norms", 0.5, 0.5)
    assert "norm_in: " in t
    page.select_option("#spectrum-which", "all")
    assert "shuffled order: " in hover_text(page, "#spectrum", 0.5, 0.5)
    page.mouse.move(0, 0)
    assert not page.is_visible("#tooltip")
    assert page.problems == [] and page.requests == []


def test_controls_stay_put_and_zoom_keeps_generalizing_rows(open_page, memorizing_run, tmp_path):
    page = open_page(Path(build_report(memorizing_run, tmp_path / "mem.html")["report"]))
    n = len(report_json(page)["snapshots"]["frames"])
    play = page.locator("#play").bounding_box()
    for i in (0, n // 2, n - 1):
        scrub_to(page, i)
        assert page.locator("#play").bounding_box()["x"] == play["x"]  # fixed-width step label
    before = page.locator("#heatmap").bounding_box()["height"]
    page.check("#gen-only")  # the memorizing run has no generalizing neuron: no rows left
    assert page.locator("#heatmap").bounding_box()["height"] < before
    assert "0 of 64 neurons shown" in page.inner_text("#heat-note")
    assert page.problems == [] and page.requests == []


def test_compare_page_moves_both_runs_with_one_scrubber(open_page, generalizing_run, memorizing_run, tmp_path):
    from rulesfacts.report.html import build_compare

    page = open_page(Path(build_compare([generalizing_run, memorizing_run], tmp_path / "cmp.html")["report"]))
    assert page.locator("#scrubber").count() == 1
    heat = [canvas_pixels(page, "#a-heatmap"), canvas_pixels(page, "#b-heatmap")]
    scrub_to(page, 0)
    assert page.inner_text("#a-step").startswith("A at epoch 0 ")
    assert page.inner_text("#b-step").startswith("B at epoch 0 ")
    assert canvas_pixels(page, "#a-heatmap") != heat[0] and canvas_pixels(page, "#b-heatmap") != heat[1]
    scrub_to(page, 5)
    epoch = page.inner_text("#step-label").split()[1]
    assert f"at epoch {epoch} " in page.inner_text("#a-step") and f"at epoch {epoch} " in page.inner_text("#b-step")
    shot(page, "explorer-compare.png")
    assert page.problems == [] and page.requests == []


def test_parity_report_shows_bits_and_its_own_text(open_page, parity_run, tmp_path):
    page = open_page(Path(build_report(parity_run, tmp_path / "parity.html")["report"]))
    header = page.inner_text("header")
    assert "α" not in header and "p=" not in header and "n=12" in header and "k=3" in header
    helps = " ".join(page.locator(".help").all_inner_texts())
    assert "input a" not in helps and "clean waves" not in helps and "input bit" in helps
    assert page.is_visible("#bits") and page.is_visible("#relevant-mass") and page.locator("#spectrum").count() == 0
    t = hover_text(page, "#heatmap", 0.3, 0.4)
    assert "input bit " in t
    t = hover_text(page, "#bits", 0.5, 0.5)
    assert t.startswith("input bit ")
    shot(page, "explorer-parity.png")
    assert page.problems == [] and page.requests == []


def test_sweep_cell_links_to_its_runs_report(open_page, tiny_sweep, tmp_path):
    from urllib.parse import urljoin, urlparse

    run_dir = next((tiny_sweep / "runs").iterdir())
    build_report(run_dir)  # RUN_DIR/report.html
    page = open_page(Path(build_report(tiny_sweep, tmp_path / "sweep.html")["report"]))
    page.locator(f'.cell[data-run="{run_dir.name}"]').first.click()
    href = page.get_attribute("#run-link", "href")
    target = Path(urlparse(urljoin(page.url, href)).path)
    assert target.resolve() == (run_dir / "report.html").resolve() and target.is_file()
    assert "IPR split" in page.inner_text("#detail-neuron-note")
    assert page.problems == [] and page.requests == []


def test_sweep_page_names_pooled_fields_and_hatches_split_cells(open_page, tmp_path):
    """Seeds pooled in each cell: the header says so, and exactly the cells whose runs disagree
    (agreement < 1, from the page's own data) are hatched, a tie cross-hatched and never solid."""
    from rulesfacts.sweep import run_sweep
    from rulesfacts.sweep.spec import parse_spec

    spec = parse_spec({"name": "pooled", "base": {"p": 7, "width": 16, "epochs": 40, "log_every": 10,
                                                   "n_snapshots": 2, "device": "cpu"},
                       "axes": {"train_frac": [0.4, 0.6], "fact_frac": [0.0, 0.3], "wd": [0, 5], "seed": [0, 1, 2]},
                       "diagram": {"panel": "wd"}, "execution": {"workers": 1}})
    run_sweep(spec, tmp_path / "pooled", progress=False)
    page = open_page(Path(build_report(tmp_path / "pooled", tmp_path / "sweep.html")["report"]))
    assert "pooled over seed" in page.inner_text("header")
    cells = page.eval_on_selector_all(".cell:not(.empty)", "cs => cs.map(c => [c.cellData.agreement, "
                                      "c.cellData.tied, c.cellData.runs.length, c.style.background])")
    assert len(cells) == 8 and all(n == 3 for _, _, n, _ in cells)
    for agreement, tied, _, background in cells:
        assert ("repeating-linear-gradient" in background) == (agreement < 1)
        assert (background.count("repeating-linear-gradient") == 2) == bool(tied)
    assert page.problems == [] and page.requests == []


# ---------- the memorization-score section (report/memscore_section.py) ----------
def test_memscore_section_draws_the_files_histogram_numbers_and_top_cells(open_page, tmp_path):
    import json

    import numpy as np

    from tests.report.conftest import write_fake_run
    from tests.report.memscore_helpers import hand_memscores

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    cfg = write_fake_run(run_dir)
    result = hand_memscores(run_dir)
    saved = json.loads((run_dir / "memscore.json").read_text())
    page = open_page(Path(build_report(run_dir, tmp_path / "ms.html")["report"]))
    page.locator("#memscore").scroll_into_view_if_needed()
    assert page.is_visible("#memscore-hist")
    # the bars drawn are the file's counts: one per bin and subset, heights proportional to the counts
    bars = page.evaluate("document.getElementById('memscore-hist')._bars"
                         ".map(b => [b.series, b.i, b.value, b.h, b.x, b.y, b.w])")
    for j, key in enumerate(("clean", "facts")):
        drawn = sorted((i, v, h) for s, i, v, h, *_ in bars if s == j)
        assert [v for _, v, _ in drawn] == saved["histogram"][key] and [i for i, _, _ in drawn] == list(range(21))
    per_count = [h / v for _, _, v, h, *_ in bars if v > 0]
    assert max(per_count) - min(per_count) < 1e-9 * max(per_count)
    assert all(h == 0 for _, _, v, h, *_ in bars if v == 0)
    # the pixel at the middle of the tallest fact bar has the facts' colour
    s, i, v, h, x, y, w = max((b for b in bars if b[0] == 1), key=lambda b: b[2])
    rgb = page.evaluate(f"Array.from(document.getElementById('memscore-hist').getContext('2d')"
                        f".getImageData({x + w / 2} * devicePixelRatio, {y + h / 2} * devicePixelRatio, 1, 1).data)")
    from rulesfacts.plotting import SUBSET_COLORS

    fact_rgb = [int(SUBSET_COLORS["facts_memorized"][k:k + 2], 16) for k in (1, 3, 5)]
    assert rgb[:3] == fact_rgb
    # the numbers and the sentences are the file's
    stats = page.inner_text("#memscore-stats")
    auc = float(f"{saved['roc_auc']:.3g}")  # the page's fmt(): 3 significant digits
    assert f"ROC AUC {auc:g}" in stats and f"facts {saved['n_facts']}" in stats
    said = page.inner_text("#memscore-sentences")
    assert f"{saved['mean_score_facts']:.3f}" in said and f"{saved['roc_auc']:.3f}" in said
    assert "× the base rate" in said
    # hovering the top-scored pair reads out its numbers: cell (a, b) of the highest score
    from rulesfacts.tasks import make_split

    split = make_split(cfg)
    best = int(np.nanargmax(result.table.score.to_numpy()))
    a, b = int(split.x_train[best, 0]), int(split.x_train[best, 1]) - cfg.p
    cell, left, top = max(2, 360 // cfg.p), 28, 16  # memscoreExamples(): cell size and margins
    page.locator("#memscore-cells").scroll_into_view_if_needed()
    box = page.locator("#memscore-cells").bounding_box()
    page.mouse.move(box["x"] + left + (b + 0.5) * cell, box["y"] + top + (a + 0.5) * cell)
    tip = page.inner_text("#tooltip")
    assert tip.startswith(f"a={a}, b={b} · {'fact' if split.is_fact[best] else 'clean'}")
    assert f"score {result.table.score[best]:g} (rank 1)" in tip and f"trained label {split.y_train[best]}" in tip
    shot(page, "report-memscore-modular.png")
    assert page.problems == [] and page.requests == []


def test_memscore_section_shows_the_top_images_of_an_image_task(open_page, tmp_path):
    from rulesfacts.analysis.memscore import top_indices
    from rulesfacts.config.train import TrainConfig
    from rulesfacts.report.memscore_section import TOP_SHOWN
    from rulesfacts.training.trainer import train
    from tests.report.memscore_helpers import hand_memscores

    run_dir = tmp_path / "digits"
    train(TrainConfig(task="images", dataset="digits", fact_frac=0.2, width=16, epochs=4, log_every=2, n_snapshots=2,
                      device="cpu", act="relu", loss="ce"), run_dir, progress=False)
    result = hand_memscores(run_dir)
    page = open_page(Path(build_report(run_dir, tmp_path / "digits.html")["report"]))
    pics = page.locator("#memscore-examples canvas.example-pic")
    assert pics.count() == TOP_SHOWN
    shown = [int(v) for v in pics.evaluate_all("cs => cs.map(c => c.dataset.index)")]
    assert shown == top_indices(result, TOP_SHOWN).tolist()  # highest score first
    facts = pics.evaluate_all("cs => cs.map(c => c.style.border.startsWith('3px'))")
    assert facts == [bool(result.table.is_fact[i]) for i in shown]
    # each picture is its 8×8 digit: 8 source pixels per side, scaled up by a whole factor
    assert pics.first.evaluate("c => parseFloat(c.style.width)") % 8 == 0
    page.locator("#memscore-examples").scroll_into_view_if_needed()
    shot(page, "report-memscore-digits.png")
    assert page.problems == [] and page.requests == []


def test_fact_neurons_panel_draws_the_frames_statistics(open_page, parity_run, tmp_path):
    import numpy as np

    from rulesfacts.report.encode import unhalf
    from rulesfacts.report.task_views import DENSE_ROWS

    page = open_page(Path(build_report(parity_run, tmp_path / "parity.html")["report"]))
    snaps = report_json(page)["snapshots"]
    last = len(snaps["frames"]) - 1
    scrub_to(page, last)
    frame = snaps["frames"][last]
    rows = unhalf(frame["neuron_stats"])
    points = page.evaluate("JSON.parse(document.getElementById('neuron-facts').dataset.points)")
    assert [p[0] for p in points] == snaps["neuron_ids"]
    # x: alignment with the rule (share on the relevant bits), y: fact selectivity, flag: fact neuron
    assert [p[1] for p in points] == pytest.approx(np.abs(rows[DENSE_ROWS.index("alignment")]).tolist())
    assert [p[2] for p in points] == pytest.approx(rows[DENSE_ROWS.index("fact_selectivity")].tolist())
    assert [p[3] for p in points] == frame["fact_neuron"]
    note = page.inner_text("#neuron-facts-note")
    assert note.startswith(f"epoch {frame['epoch']}: {frame['n_fact_neurons']} of {snaps['width']} neurons")
    assert "fact selectivity" in page.inner_text("#neuron-info")
    # hovering a dot names a neuron and its numbers
    x, y = page.evaluate("(() => { const c = document.getElementById('neuron-facts'), "
                         "p = JSON.parse(c.dataset.points)[0]; return [c._box.X(p[1]), c._box.Y(p[2])]; })()")
    page.locator("#neuron-facts").scroll_into_view_if_needed()
    box = page.locator("#neuron-facts").bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    t = page.inner_text("#tooltip")
    assert t.startswith("neuron ") and "fact selectivity " in t and "alignment " in t
    scrub_to(page, 0)
    assert page.evaluate("JSON.parse(document.getElementById('neuron-facts').dataset.points)") != points
    assert page.problems == [] and page.requests == []


def test_fact_neurons_panel_without_facts_shows_size_against_alignment(open_page, tmp_path):
    from rulesfacts.config.train import TrainConfig
    from rulesfacts.report.encode import unhalf
    from rulesfacts.report.task_views import DENSE_ROWS
    from rulesfacts.training.trainer import train

    cfg = TrainConfig(task="raf", model="mlp", d=10, alpha=3.0, fact_frac=0.0, width=8, epochs=20, log_every=10,
                      n_snapshots=2, device="cpu", act="relu", loss="ce", test_size=20)
    train(cfg, tmp_path / "raf0", progress=False)
    page = open_page(Path(build_report(tmp_path / "raf0", tmp_path / "raf0.html")["report"]))
    snaps = report_json(page)["snapshots"]
    scrub_to(page, len(snaps["frames"]) - 1)
    frame = snaps["frames"][-1]
    assert frame["n_fact_neurons"] is None and page.inner_text("#neuron-facts-note").startswith("no facts in this run")
    rows = unhalf(frame["neuron_stats"])
    points = page.evaluate("JSON.parse(document.getElementById('neuron-facts').dataset.points)")
    assert [p[1] for p in points] == pytest.approx(abs(rows[DENSE_ROWS.index("alignment")]).tolist())
    assert [p[2] for p in points] == pytest.approx(rows[DENSE_ROWS.index("scale")].tolist())
    assert "fact selectivity" not in page.inner_text("#neuron-info")
    assert page.problems == [] and page.requests == []
