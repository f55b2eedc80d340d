import numpy as np
import pandas as pd
import pytest

from rulesfacts.errors import ConfigError
from rulesfacts.report.sweep_report import SweepReportOptions, cell_metrics, sweep_report_data
from rulesfacts.sweep.store import load_results


@pytest.fixture(scope="module")
def data(tiny_sweep):
    return sweep_report_data(tiny_sweep)


def test_one_panel_per_regularizer_value_and_a_full_grid(data, tiny_sweep):
    assert data["x"] == {"name": "train_frac", "values": [0.4, 0.6]}
    assert data["y"] == {"name": "corrupt", "values": [0.0, 0.3]}
    assert data["panel_fields"] == ["wd"]
    assert [p["label"] for p in data["panels"]] == ["wd=0", "wd=5"]
    for p in data["panels"]:
        assert sorted((c["xi"], c["yi"]) for c in p["cells"]) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert data["n_runs"] == 8 and len(data["runs"]) == 8


def test_cells_carry_the_table_values_of_their_run(data, tiny_sweep):
    df = load_results(tiny_sweep).set_index("run_id")
    for p in data["panels"]:
        for c in p["cells"]:
            (rid,) = c["runs"]
            row = df.loc[rid]
            assert row["train_frac"] == data["x"]["values"][c["xi"]]
            assert row["corrupt"] == data["y"]["values"][c["yi"]]
            assert c["phase"] == row["phase"]
            assert c["test_acc"] == pytest.approx(row["test_acc"], rel=1e-3)


def test_each_run_has_its_curves_and_final_spectra(data, tiny_sweep):
    from rulesfacts.train.rundir import read_metrics

    for rid, r in data["runs"].items():
        metrics = read_metrics(tiny_sweep / "runs" / rid)
        assert r["curves"]["epoch"] == metrics["epoch"].tolist()  # 5 logged epochs < the point budget
        test = next(s for s in r["curves"]["acc"] if s["key"] == "test")["y"]
        np.testing.assert_allclose(test, metrics["test_acc"], rtol=1e-3)
        assert len(r["spectrum"]) == 3 and len(r["spectrum"][0]) == 7 // 2 + 1
        assert sum(r["spectrum"][2]) == pytest.approx(1, abs=1e-3)


def test_cell_metrics_are_means_over_seeds_and_the_most_common_phase():
    rows = pd.DataFrame({"phase": ["memorization", "coexistence", "memorization"], "test_acc": [0.1, 0.4, 0.4],
                         "grok_delay": [None, None, None]})
    m = cell_metrics(rows)
    assert m["phase"] == "memorization" and m["test_acc"] == pytest.approx(0.3) and m["grok_delay"] is None


def test_point_budget_is_shared_over_runs():
    o = SweepReportOptions(budget_points=1000, min_points=20, max_points=200)
    assert o.points_per_run(1) == 200 and o.points_per_run(10) == 100 and o.points_per_run(1000) == 20
    with pytest.raises(ConfigError):
        SweepReportOptions(min_points=300, max_points=200)


def test_seeds_share_a_cell_and_a_constant_axis_still_draws(tmp_path):
    """Seeds are replicates, not panels; with train_frac fixed the grid is one column."""
    from rulesfacts.sweep import run_sweep
    from rulesfacts.sweep.spec import parse_spec

    spec = parse_spec({"name": "seeds", "base": {"p": 7, "width": 8, "epochs": 10, "log_every": 5, "n_snapshots": 0,
                                                  "device": "cpu"},
                       "axes": {"corrupt": [0.0, 0.3], "seed": [0, 1]}, "execution": {"workers": 1}})
    run_sweep(spec, tmp_path, progress=False)
    data = sweep_report_data(tmp_path)
    df = load_results(tmp_path)
    assert data["panel_fields"] == [] and [p["label"] for p in data["panels"]] == ["all runs"]
    assert data["x"]["values"] == [0.5] and data["y"]["values"] == [0.0, 0.3]
    cells = data["panels"][0]["cells"]
    assert [len(c["runs"]) for c in cells] == [2, 2]
    for c in cells:
        rows = df[df["run_id"].isin(c["runs"])]
        assert set(rows["seed"]) == {0, 1}
        assert c["test_acc"] == pytest.approx(rows["test_acc"].mean(), rel=1e-3)
