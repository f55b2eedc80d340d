import numpy as np
import pytest

from rulesfacts.report.figures import phase_grid, snapshot_matrices, write_figures
from rulesfacts.report.run_report import RunReportOptions, run_report_data
from rulesfacts.report.sweep_report import sweep_report_data
from rulesfacts.train.rundir import load_run
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


def test_phase_grid_places_each_cell(tiny_sweep):
    data = sweep_report_data(tiny_sweep)
    phases = list(data["phase_colors"])
    for panel in data["panels"]:
        g = phase_grid(data, panel, "phase")
        assert g.shape == (2, 2) and not np.isnan(g).any()
        for c in panel["cells"]:
            assert phases[int(g[c["yi"], c["xi"]])] == c["phase"]
        t = phase_grid(data, panel, "test_acc")
        assert all(t[c["yi"], c["xi"]] == pytest.approx(c["test_acc"]) for c in panel["cells"])
