"""Grouping into ensembles, and the local executor: batched == one model at a time."""

import pandas as pd
import pytest

from rulesfacts.config.train import TrainConfig, ensemble_key
from rulesfacts.errors import RulesfactsError
from rulesfacts.sweep import load_results, run_sweep
from rulesfacts.sweep.executor import member_bytes, plan_groups
from rulesfacts.sweep.spec import expand, run_id
from rulesfacts.training.rundir import load_run
from tests.sweep.conftest import comparable, tiny_spec


def test_groups_share_a_key_and_respect_the_caps():
    cfgs = expand(tiny_spec(train_frac=[0.4, 0.6], wd=[0, 1, 2, 3, 4], seed=[0, 1]))
    groups = plan_groups(cfgs, max_ensemble=4, max_memory_mb=1024)
    assert sorted(i for g in groups for i in g) == list(range(len(cfgs)))
    assert all(len({ensemble_key(cfgs[i]) for i in g}) == 1 for g in groups)
    assert max(len(g) for g in groups) == 4 and len(groups) == 2 * 3  # 10 per α → 4 + 4 + 2
    one_mb = 2**20
    per = member_bytes(cfgs[0])
    capped = plan_groups(cfgs, max_ensemble=64, max_memory_mb=max(1, (3 * per) // one_mb))
    assert max(len(g) for g in capped) <= max(1, (max(1, (3 * per) // one_mb) * one_mb) // per)


def test_member_bytes_grows_with_width_and_data():
    small = TrainConfig(p=11, width=16)
    assert member_bytes(small.replace(width=64)) > member_bytes(small)
    assert member_bytes(small.replace(p=23)) > member_bytes(small)
    assert member_bytes(TrainConfig()) < 2**30  # the paper's net fits many to a group


def test_batched_sweep_equals_one_model_per_group(tmp_path):
    spec = tiny_spec()
    batched = run_sweep(spec, tmp_path / "b", progress=False)
    one = tiny_spec(max_ensemble=1)
    single = run_sweep(one, tmp_path / "s", progress=False)
    assert batched["groups"] == 2 and single["groups"] == 8
    a, b = comparable(load_results(tmp_path / "b")), comparable(load_results(tmp_path / "s"))
    assert len(a) == batched["runs_total"] == batched["runs_done"] == 8
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-5, atol=1e-7)


def test_rows_point_to_complete_run_folders_and_rerun_skips(tmp_path):
    spec = tiny_spec()
    first = run_sweep(spec, tmp_path, progress=False)
    assert first["runs_trained"] == 8 and first["runs_skipped"] == 0
    df = load_results(tmp_path)
    for _, row in df.iterrows():
        run = load_run(tmp_path / row["run_dir"])
        assert run.summary["status"] == "completed"
        assert run.summary["test_acc"] == row["test_acc"]
        assert run_id(run.config) == row["run_id"]
    assert (tmp_path / "spec.toml").is_file()
    again = run_sweep(spec, tmp_path, progress=False)
    assert again["runs_trained"] == 0 and again["runs_skipped"] == 8 and again["runs_done"] == 8
    assert len(load_results(tmp_path)) == 8
    bigger = tiny_spec(train_frac=[0.4, 0.6], fact_frac=[0.0, 0.3], wd=[0, 5, 10])
    more = run_sweep(bigger, tmp_path, progress=False)
    assert more["runs_trained"] == 4 and more["runs_done"] == 12


def test_long_sweeps_need_yes_and_write_nothing(tmp_path):
    with pytest.raises(RulesfactsError, match="--yes"):
        run_sweep(tiny_spec(), tmp_path, progress=False, estimate=True, max_hours=1e-9)
    assert not (tmp_path / "results.sqlite").exists() and not (tmp_path / "spec.toml").exists()


def test_finished_folders_without_a_row_are_recovered_not_retrained(tmp_path):
    import sqlite3

    spec = tiny_spec()
    run_sweep(spec, tmp_path, progress=False)
    before = comparable(load_results(tmp_path))
    with sqlite3.connect(tmp_path / "results.sqlite") as conn:  # as if stopped between train and insert
        conn.execute("DELETE FROM runs WHERE wd = 5")
    (tmp_path / before["run_dir"][0] / "summary.json").write_text('{"status": "running"}')  # one unfinished
    again = run_sweep(spec, tmp_path, progress=False)
    n_wd5 = int((before["wd"] == 5).sum())
    retrain = int(before["wd"][0] == 5)
    assert again["runs_recovered"] == n_wd5 - retrain and again["runs_trained"] == retrain
    pd.testing.assert_frame_equal(comparable(load_results(tmp_path)), before, check_exact=True)


def test_time_probe_runs_eager_even_for_compiled_sweeps(monkeypatch):
    # 20 compiled epochs would time the compiler (the small preset's probe said 34 min for 2)
    from rulesfacts.sweep import runner
    from rulesfacts.training import trainer

    probed = []
    monkeypatch.setattr(trainer, "train_ensemble", lambda cfgs, *a, **k: probed.extend(cfgs))
    groups = [[TrainConfig(p=11, width=8, epochs=500, seed=s, compile=True) for s in range(3)]]
    assert runner.estimate_seconds(groups, threads=1, parallel=1) >= 0
    assert len(probed) == 3 and all(c.epochs == runner.PROBE_EPOCHS and not c.compile for c in probed)
