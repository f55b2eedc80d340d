import json

import numpy as np
import pandas as pd
import pytest

from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError
from rulesfacts.report.figures import sweep_cells
from rulesfacts.report.sweep_report import SweepReportOptions, sweep_report_data
from rulesfacts.sweep.store import insert_rows, load_results, make_row
from tests.cli_helpers import run_cli


@pytest.fixture(scope="module")
def data(tiny_sweep):
    return sweep_report_data(tiny_sweep)


def test_one_panel_per_regularizer_value_and_a_full_grid(data, tiny_sweep):
    assert data["x"] == {"name": "train_frac", "values": [0.4, 0.6]}
    assert data["y"] == {"name": "fact_frac", "values": [0.0, 0.3]}
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
            assert row["fact_frac"] == data["y"]["values"][c["yi"]]
            assert c["phase"] == row["phase"]
            assert c["test_acc"] == pytest.approx(row["test_acc"], rel=1e-3)


def test_each_run_has_its_curves_and_final_spectra(data, tiny_sweep):
    from rulesfacts.training.rundir import read_metrics

    for rid, r in data["runs"].items():
        metrics = read_metrics(tiny_sweep / "runs" / rid)
        assert r["curves"]["epoch"] == metrics["epoch"].tolist()  # 5 logged epochs < the point budget
        test = next(s for s in r["curves"]["acc"] if s["key"] == "test")["y"]
        np.testing.assert_allclose(test, metrics["test_acc"], rtol=1e-3)
        assert len(r["spectrum"]) == 3 and len(r["spectrum"][0]) == 7 // 2 + 1
        assert sum(r["spectrum"][2]) == pytest.approx(1, abs=1e-3)


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
                       "axes": {"fact_frac": [0.0, 0.3], "seed": [0, 1]}, "execution": {"workers": 1}})
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


# Phases of the runs of each (wd, α, ξ) cell, in run_id order (the order the table is read in),
# and the cell's phase counted by hand: majority, ties to the phase first in PHASES
# (coexistence, partial inversion, full inversion, memorization, forgetting, confusion, ...,
# diverged). The losing phase of each tie comes first, so "the first one seen" would get it wrong.
RUN_PHASES = {
    (0, 0.3, 0.1): ["memorization", "coexistence"],
    (0, 0.3, 0.4): ["memorization", "memorization"],
    (0, 0.6, 0.1): ["coexistence", "memorization", "memorization"],
    (0, 0.6, 0.4): ["forgetting", "confusion", "full inversion"],
    (5, 0.3, 0.1): ["confusion", "forgetting"],
    (5, 0.3, 0.4): ["diverged", "memorization"],
    (5, 0.6, 0.1): ["full inversion", "partial inversion", "full inversion", "partial inversion"],
    (5, 0.6, 0.4): ["full inversion"],
}
EXPECTED = {  # (phase, agreement, runs)
    (0, 0.3, 0.1): ("coexistence", 1 / 2, 2),
    (0, 0.3, 0.4): ("memorization", 1, 2),
    (0, 0.6, 0.1): ("memorization", 2 / 3, 3),
    (0, 0.6, 0.4): ("full inversion", 1 / 3, 3),
    (5, 0.3, 0.1): ("forgetting", 1 / 2, 2),
    (5, 0.3, 0.4): ("memorization", 1 / 2, 2),
    (5, 0.6, 0.1): ("partial inversion", 1 / 2, 4),
    (5, 0.6, 0.4): ("full inversion", 1, 1),
}


@pytest.fixture(scope="module")
def tied_sweep(tmp_path_factory):
    """A results table written directly (no training, no run folders): seeds as replicates, ties."""
    out = tmp_path_factory.mktemp("tied")
    rows = []
    for i, ((wd, a, xi), phases) in enumerate(RUN_PHASES.items()):
        for seed, phase in enumerate(phases):
            cfg = TrainConfig(p=7, width=8, epochs=10, train_frac=a, fact_frac=xi, wd=wd, seed=seed, device="cpu")
            rid = f"c{i}-{seed}"
            rows.append(make_row(rid, cfg, {"status": "completed", "test_acc": seed / 10, "train_acc": 1.0}, phase,
                                 f"runs/{rid}"))
    insert_rows(out, rows)
    return out


def test_phase_command_and_report_give_the_same_phase_in_every_cell(tied_sweep, tmp_path, capsys):
    code, out, _ = run_cli(["phase", tied_sweep, "--out", tmp_path / "phases.png", "--json"], capsys)
    assert code == 0
    summary = json.loads(out)
    assert summary["x"] == "train_frac" and summary["y"] == "fact_frac" and summary["panel"] == ["wd"]
    # a tied cell counts as a tie in the summary (and is drawn as one), not as the phase of the tie rule
    assert summary["panels"] == {"wd=0": {"memorization": 2, "tie": 2}, "wd=5": {"full inversion": 1, "tie": 3}}
    assert summary["cells"] == 8 and summary["split_cells"] == 6 and summary["tied_cells"] == 5
    csv = pd.read_csv(summary["csv"])
    from_cli = {(r.wd, r.train_frac, r.fact_frac): (r.phase, r.agreement, r.n_runs) for r in csv.itertuples()}

    data = sweep_report_data(tied_sweep)
    assert data["panel_fields"] == ["wd"] and [p["label"] for p in data["panels"]] == ["wd=0", "wd=5"]
    xs, ys = data["x"]["values"], data["y"]["values"]
    from_report = {(p["values"]["wd"], xs[c["xi"]], ys[c["yi"]]): (c["phase"], c["agreement"], c["n_runs"])
                   for p in data["panels"] for c in p["cells"]}
    runs = {(p["values"]["wd"], xs[c["xi"]], ys[c["yi"]]): sorted(c["runs"])
            for p in data["panels"] for c in p["cells"]}
    tied = {(p["values"]["wd"], xs[c["xi"]], ys[c["yi"]]): c["tied"] for p in data["panels"] for c in p["cells"]}
    assert tied[(5, 0.3, 0.4)] == "memorization = diverged" and tied[(0, 0.6, 0.1)] == ""
    assert sum(bool(t) for t in tied.values()) == 5
    static = sweep_cells(data)  # the cells the report's static figure draws
    from_figure = {(r.wd, r.train_frac, r.fact_frac): (r.phase, r.agreement, r.n_runs) for r in static.itertuples()}

    assert set(from_cli) == set(from_report) == set(from_figure) == set(EXPECTED)
    for key, (phase, agreement, n) in EXPECTED.items():
        for got in (from_cli[key], from_report[key], from_figure[key]):
            assert got[0] == phase and got[1] == pytest.approx(agreement, abs=1e-3) and got[2] == n, key
        i = list(RUN_PHASES).index(key)
        assert runs[key] == [f"c{i}-{s}" for s in range(n)]
    # the mean test accuracy of a cell is that of its seeds 0..n-1 (seed / 10), in both
    for r in csv.itertuples():
        n = EXPECTED[(r.wd, r.train_frac, r.fact_frac)][2]
        assert r.test_acc == pytest.approx(sum(s / 10 for s in range(n)) / n)
    for p in data["panels"]:
        for c in p["cells"]:
            assert c["test_acc"] == pytest.approx(sum(s / 10 for s in range(c["n_runs"])) / c["n_runs"], abs=1e-3)
