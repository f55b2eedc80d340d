import numpy as np
import pytest

from rulesfacts.report.figures import snapshot_matrices, sweep_cells, write_figures
from rulesfacts.report.run_report import RunReportOptions, run_report_data
from rulesfacts.report.sweep_report import sweep_report_data
from rulesfacts.training.rundir import load_run
from tests.report.conftest import P

PNG = b"\x89PNG\r\n\x1a\n"


def test_run_figures_are_valid_images(analytic_run, tmp_path):
    data = run_report_data(load_run(analytic_run), RunReportOptions(prune_orders=("low",)))
    paths = write_figures(data, tmp_path, "png")
    assert [p.name for p in paths] == ["run-curves.png", "run-weights.png", "run-spectrum.png", "run-ipr.png",
                                       "run-prune.png"]
    for p in paths:
        assert p.read_bytes()[:8] == PNG


def test_static_heatmap_shows_the_page_rows_in_frequency_order(analytic_run):
    data = run_report_data(load_run(analytic_run), RunReportOptions(prune_orders=()))
    mats = snapshot_matrices(data, data["snapshots"]["frames"][-1])
    assert [name for name, _ in mats] == ["from a", "from b", "to outputs"]
    a = mats[0][1]
    assert a.shape[1] == P
    # neighbouring rows of one frequency band are cosines of the same frequency: the dominant
    # frequency read back from the static figure's rows is sorted
    from rulesfacts.analysis.fourier import dominant

    freq = dominant(a)[0]
    assert np.all(np.diff(freq) >= 0)


def test_static_phase_map_draws_the_cells_of_the_table(tiny_sweep, tmp_path):
    """The report's static figure is drawn from the cells of ``phase_cells`` on the results
    table: one run per cell here, so each cell shows its run's phase and test accuracy."""
    from rulesfacts.sweep.store import load_results

    data = sweep_report_data(tiny_sweep)
    cells = sweep_cells(data)
    assert cells.attrs == {"x": "train_frac", "y": "fact_frac", "panels": ["wd"], "pooled": []} and len(cells) == 8
    df = load_results(tiny_sweep)
    for r in cells.itertuples():
        (run,) = df[(df.wd == r.wd) & (df.train_frac == r.train_frac) & (df.fact_frac == r.fact_frac)].itertuples()
        assert (r.phase, r.agreement, r.n_runs) == (run.phase, 1, 1)
        assert r.test_acc == pytest.approx(run.test_acc, rel=1e-3)
    paths = write_figures(data, tmp_path, "png")
    assert [p.name for p in paths] == ["sweep-phases.png", "sweep-test_acc.png"]
    for p in paths:
        assert p.read_bytes()[:8] == PNG
