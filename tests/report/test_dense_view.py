"""The dense-input view's per-neuron statistics (task_views.dense_static / dense_frame): a
hand-built RAF network with known answers, and the run report's frames against analysis.dense."""

from __future__ import annotations

import numpy as np
import pytest

from rulesfacts.analysis.dense import dense_neuron_table
from rulesfacts.config.train import TrainConfig
from rulesfacts.report import task_views as views
from rulesfacts.report.encode import unhalf
from rulesfacts.tasks.raf import teacher_of


def test_a_hand_built_raf_net_teacher_neuron_and_fact_detector():
    cfg = TrainConfig(task="raf", model="mlp", d=16, alpha=4.0, fact_frac=0.25, width=3, act="relu")
    static = views.dense_static(cfg)
    split = static["split"]
    t = teacher_of(cfg)
    # neuron 0 is the teacher direction; neuron 1 a fact detector: the least-squares direction
    # that is 1 on facts and 0 on clean examples can fire on clean ones too, so a relu of a
    # margin that only facts clear: w·x − b with b above every clean example's value
    x = split.x_train.astype(np.float64)
    v = np.linalg.lstsq(x, split.is_fact.astype(float), rcond=None)[0]
    cut = (x[~split.is_fact] @ v).max()
    assert (x[split.is_fact] @ v > cut).any()
    weights = {"W_in": np.stack([t, v, -t]), "W_out": np.ones((2, 3)),
               "b_in": np.array([0.0, -cut, 0.0]), "b_out": np.zeros(2)}
    cfg = cfg.replace(bias=True)
    frame = views.dense_frame(cfg, weights, static, np.arange(3))
    rows = unhalf(frame["neuron_stats"])
    align, sel = rows[views.DENSE_ROWS.index("alignment")], rows[views.DENSE_ROWS.index("fact_selectivity")]
    assert align[0] == 1.0 and align[2] == -1.0  # exact in float16
    assert sel[1] == 1.0  # fires on facts only
    assert frame["fact_neuron"][1] == 1 and frame["n_fact_neurons"] >= 1
    assert static["n_examples"] == split.n_train == 64 and static["chance"] == pytest.approx(0.2, abs=0.01)


def test_the_reports_frames_are_the_analysis_table(parity_run):
    from rulesfacts.report.run_report import run_report_data
    from rulesfacts.training.rundir import load_run

    run = load_run(parity_run)
    data = run_report_data(run)
    snaps = data["snapshots"]
    assert snaps["dense"]["rule"] == "relevant bits" and "facts" in data["help"]
    frame = snaps["frames"][-1]
    table = dense_neuron_table(run.config, run.snapshot(snaps["epochs"][-1]))
    rows = unhalf(frame["neuron_stats"])
    for j, col in enumerate(views.DENSE_ROWS):
        expected = np.nan_to_num(table[col].to_numpy()[snaps["neuron_ids"]])
        np.testing.assert_allclose(rows[j], expected, rtol=2.0**-10, atol=2.0**-14)  # float16
    assert frame["fact_neuron"] == table["fact_neuron"].astype(int).tolist()
    assert frame["n_fact_neurons"] == int(table["fact_neuron"].sum())
