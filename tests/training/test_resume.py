"""Interrupt and resume: a resumed run is bit-identical to an uninterrupted one (weights, every
logged metric, snapshots), for every piece of state an epoch depends on — optimizer moments and
step count, minibatch order, dropout masks, BatchNorm statistics — and for ensembles."""

from __future__ import annotations

import math
import os
import signal

import numpy as np
import pandas as pd
import pytest

from rulesfacts import load_run
from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import DataFileError
from rulesfacts.training import rundir
from rulesfacts.training.callbacks import StopAt, deferred_interrupt
from rulesfacts.training.runfolder import RunFolderWriter
from rulesfacts.training.trainer import RunResult, Trainer, train, train_ensemble

BASE = TrainConfig(p=11, width=16, epochs=24, log_every=3, n_snapshots=4, fact_frac=0.3, device="cpu")
STATEFUL = BASE.replace(batch_size=16, dropout=0.2, batchnorm=True, wd=0.5)


def assert_same_run(a: RunResult, b: RunResult) -> None:
    assert a.metrics == b.metrics
    assert a.weights.keys() == b.weights.keys()
    for k in a.weights:
        np.testing.assert_array_equal(a.weights[k], b.weights[k])
    def timeless(summary: dict) -> dict:
        return {k: v for k, v in summary.items() if k != "seconds"}
    assert timeless(a.summary) == timeless(b.summary)


@pytest.mark.parametrize(("cfg", "stop"), [(BASE, 1), (STATEFUL, 10)],
                         ids=["full-batch-stop-1", "minibatch-dropout-batchnorm-stop-10"])
def test_interrupt_then_resume_is_bit_exact(tmp_path, monkeypatch, cfg, stop):
    ref = train(cfg, tmp_path / "ref", progress=False)
    with pytest.raises(KeyboardInterrupt, match=f"epoch {stop}; state saved"):
        train(cfg, tmp_path / "run", progress=False, callbacks=[StopAt(stop)])
    part = load_run(tmp_path / "run")
    assert part.summary["status"] == "interrupted" and part.summary["epochs"] == stop
    assert (tmp_path / "run" / rundir.CHECKPOINT).is_file()
    got = train(cfg, tmp_path / "run", progress=False, resume=True)
    assert_same_run(ref, got)
    assert not (tmp_path / "run" / rundir.CHECKPOINT).exists()
    run, ref_run = load_run(tmp_path / "run"), load_run(tmp_path / "ref")
    assert run.snapshot_epochs() == ref_run.snapshot_epochs()
    for e in run.snapshot_epochs():
        np.testing.assert_array_equal(run.snapshot(e)["W_in"], ref_run.snapshot(e)["W_in"])
    pd.testing.assert_frame_equal(run.metrics, ref_run.metrics)


def test_ensemble_resume_is_bit_exact(tmp_path, monkeypatch):
    cfgs = [STATEFUL.replace(epochs=12), STATEFUL.replace(epochs=12, seed=1, lr=3e-3, dropout=0.0)]
    ref = train_ensemble(cfgs, [tmp_path / "a0", tmp_path / "a1"], progress=False)
    dirs = [tmp_path / "b0", tmp_path / "b1"]
    with pytest.raises(KeyboardInterrupt):
        train_ensemble(cfgs, dirs, progress=False, callbacks=[StopAt(7)])
    got = train_ensemble(cfgs, dirs, progress=False, resume=True)
    for a, b in zip(ref, got, strict=True):
        assert_same_run(a, b)


def test_resume_with_another_config_is_refused(tmp_path, monkeypatch):
    """Resuming with changed settings would silently overwrite the work: refuse, naming the field."""
    with pytest.raises(KeyboardInterrupt):
        train(BASE, tmp_path, progress=False, callbacks=[StopAt(2)])
    with pytest.raises(DataFileError, match=r"checkpoint.pt: saved for lr=0.01, but this run has lr=0.1"):
        train(BASE.replace(lr=0.1), tmp_path, progress=False, resume=True)
    assert (tmp_path / rundir.CHECKPOINT).is_file()  # untouched


def test_resume_of_a_finished_run_does_no_work(tmp_path, monkeypatch):
    ref = train(BASE, tmp_path, progress=False)
    monkeypatch.setattr(Trainer, "__init__", lambda *a, **k: pytest.fail("trained again"))
    assert_same_run(ref, train(BASE, tmp_path, progress=False, resume=True))


def test_fresh_start_removes_the_previous_runs_files(tmp_path, monkeypatch):
    """A new run in a used folder (with overwrite) never sits beside the old run's weights,
    snapshots, summary, analysis or report."""
    train(BASE.replace(epochs=30, n_snapshots=10), tmp_path, progress=False)
    old_snaps = set(load_run(tmp_path).snapshot_epochs())
    (tmp_path / "analysis").mkdir()
    (tmp_path / "analysis" / "neurons.csv").write_text("old\n")
    (tmp_path / "report.html").write_text("<p>width 16</p>")
    with pytest.raises(KeyboardInterrupt):
        train(BASE.replace(seed=5), tmp_path, progress=False, overwrite=True, callbacks=[StopAt(1)])
    assert not (tmp_path / "analysis").exists() and not (tmp_path / "report.html").exists()
    run = load_run(tmp_path)
    assert run.config.seed == 5 and run.summary["status"] == "interrupted"
    assert not (tmp_path / rundir.WEIGHTS).exists()
    assert set(run.snapshot_epochs()) == {0} and len(old_snaps) == 10
    assert list(run.metrics["epoch"]) == [0]


def test_time_based_checkpoints_bound_lost_work(tmp_path, monkeypatch):
    """With no snapshot epochs, a checkpoint still comes every ``checkpoint_seconds``."""
    saved = []
    real = rundir.save_checkpoint
    monkeypatch.setattr(rundir, "save_checkpoint", lambda d, state: (saved.append(state["epoch"]), real(d, state)))
    writer = RunFolderWriter([tmp_path], checkpoint_seconds=0.0)
    Trainer([BASE.replace(epochs=6, n_snapshots=0)], callbacks=[writer]).fit()
    assert saved == [1, 2, 3, 4, 5]  # every epoch but the last (whose results are final files)


def test_signals_become_a_flag_and_a_second_ctrl_c_stops_at_once():
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    with deferred_interrupt() as interrupted:
        assert not interrupted()
        os.kill(os.getpid(), signal.SIGTERM)
        assert interrupted()
        with pytest.raises(KeyboardInterrupt, match="second Ctrl-C"):
            os.kill(os.getpid(), signal.SIGINT)
    assert {sig: signal.getsignal(sig) for sig in before} == before  # the caller's handlers are back


def test_same_config_and_seed_give_identical_run_folders(tmp_path):
    a = train(STATEFUL, tmp_path / "a", progress=False)
    b = train(STATEFUL, tmp_path / "b", progress=False)
    assert_same_run(a, b)
    assert (tmp_path / "a" / rundir.METRICS).read_bytes() == (tmp_path / "b" / rundir.METRICS).read_bytes()


# Adam moves every weight by ~lr per step: at lr = 1e8 the logits (quadratic in the weights)
# overflow float32 after the first step, so the run diverges between epoch 0 and the first log.
DIVERGING = BASE.replace(lr=1e8)


def test_divergence_is_marked_and_never_reported_as_accuracy(tmp_path):
    res = train(DIVERGING, tmp_path, progress=False)
    s = res.summary
    assert s["status"] == "diverged" and s["diverged_epoch"] == BASE.log_every
    assert s["epochs"] == s["diverged_epoch"]
    assert all(s[k] is None for k in ("train_acc", "test_acc", "clean_acc", "facts_memorized", "train_loss"))
    run = load_run(tmp_path)
    assert list(run.metrics["epoch"]) == [0]  # only the healthy epoch-0 row; no NaN row
    values = run.metrics.drop(columns=["facts_loss", "facts_memorized", "facts_recovered"])
    assert np.isfinite(values.to_numpy(dtype=float)).all()
    assert run.summary["status"] == "diverged"
    assert run.snapshot_epochs() == [0]  # no NaN weights among the snapshots


def test_a_diverging_member_does_not_disturb_its_ensemble_mates(tmp_path, monkeypatch):
    healthy = BASE.replace(seed=3)
    dirs = [tmp_path / "bad", tmp_path / "good"]
    with pytest.raises(KeyboardInterrupt):  # interrupt and resume across the divergence, too
        train_ensemble([DIVERGING, healthy], dirs, progress=False, callbacks=[StopAt(12)])
    bad, good = train_ensemble([DIVERGING, healthy], dirs, progress=False, resume=True)
    alone = train(healthy, progress=False)
    assert bad.summary["status"] == "diverged" and bad.summary["diverged_epoch"] == BASE.log_every
    assert good.summary["status"] == "completed"
    assert good.metrics == alone.metrics
    assert all(math.isfinite(r["test_acc"]) for r in good.metrics)
    assert load_run(dirs[0]).summary["status"] == "diverged"


def test_ensemble_equals_members_alone_bit_for_bit():
    """Batched members give exactly (not just approximately) the numbers of lone runs."""
    cfgs = [STATEFUL, STATEFUL.replace(seed=4, lr=3e-3, fact_frac=0.0, dropout=0.0)]
    together = train_ensemble(cfgs, progress=False)
    for cfg, res in zip(cfgs, together, strict=True):
        alone = train(cfg, progress=False)
        assert alone.metrics == res.metrics
        for k in alone.weights:
            np.testing.assert_array_equal(alone.weights[k], res.weights[k])


def test_a_checkpoint_saved_before_a_field_rename_resumes(tmp_path):
    """Checkpoints written when ``fact_frac`` was ``corrupt`` (and ``adam_eps`` was ``eps``) resume."""
    import torch

    ref = train(BASE, tmp_path / "ref", progress=False)
    with pytest.raises(KeyboardInterrupt):
        train(BASE, tmp_path / "run", progress=False, callbacks=[StopAt(5)])
    path = tmp_path / "run" / rundir.CHECKPOINT
    state = torch.load(path, weights_only=True)
    old = {"fact_frac": "corrupt", "adam_eps": "eps"}
    state["config"] = {old.get(k, k): v for k, v in state["config"].items()}
    torch.save(state, path)
    with pytest.warns(DeprecationWarning) as notes:
        got = train(BASE, tmp_path / "run", progress=False, resume=True)
    assert {str(w.message) for w in notes} == {"'corrupt' is deprecated, use 'fact_frac'",
                                              "'eps' is deprecated, use 'adam_eps'"}
    assert_same_run(ref, got)
