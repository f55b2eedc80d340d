"""``train --continue`` and ``train --from``: a continued run equals one trained that long at once,
bit for bit; a branch starts from its parent's weights and optimizer state and records its parent."""

import json

import numpy as np
import pytest
import torch

from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError, DataFileError
from rulesfacts.training import lineage, rundir
from rulesfacts.training.trainer import Trainer, train
from tests.cli_helpers import run_cli

SMALL = dict(p=11, width=16, fact_frac=0.2, log_every=3, n_snapshots=4, device="cpu")


def _same_folders(a, b):
    wa, wb = rundir.load_npz(a / rundir.WEIGHTS), rundir.load_npz(b / rundir.WEIGHTS)
    assert wa.keys() == wb.keys() and all(np.array_equal(wa[k], wb[k]) for k in wa)
    assert (a / rundir.METRICS).read_text() == (b / rundir.METRICS).read_text()


def test_continue_to_2n_equals_a_2n_run_bit_for_bit(tmp_path, capsys):
    # N = 40 is not a multiple of log_every: the N-epoch run logs epoch 40, the 2N run does not
    train(TrainConfig(**SMALL, epochs=40), tmp_path / "n", progress=False)
    train(TrainConfig(**SMALL, epochs=80), tmp_path / "2n", progress=False)
    code, out, err = run_cli(["train", "--continue", tmp_path / "n", "--epochs", "80", "--quiet", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["epochs"] == 80
    _same_folders(tmp_path / "n", tmp_path / "2n")
    assert rundir.read_config(tmp_path / "n").epochs == 80


def test_continue_with_dropout_and_minibatches_is_bit_exact(tmp_path):
    cfg = dict(SMALL, dropout=0.2, batch_size=16, epochs=12)
    train(TrainConfig(**cfg), tmp_path / "n", progress=False)
    train(TrainConfig(**(cfg | {"epochs": 24})), tmp_path / "2n", progress=False)
    lineage.continue_run(tmp_path / "n", lineage.continue_config(tmp_path / "n", 24, {}), progress=False)
    _same_folders(tmp_path / "n", tmp_path / "2n")


def test_continue_refuses_other_changes_shorter_runs_and_diverged_runs(tmp_path):
    train(TrainConfig(**SMALL, epochs=6), tmp_path / "n", progress=False)
    with pytest.raises(ConfigError, match="wd"):
        lineage.continue_config(tmp_path / "n", 12, {"wd": 5.0})
    with pytest.raises(ConfigError, match="epochs"):
        lineage.continue_run(tmp_path / "n", lineage.continue_config(tmp_path / "n", 6, {}), progress=False)
    train(TrainConfig(**(SMALL | {"lr": 1e8}), epochs=30), tmp_path / "dv", progress=False)
    with pytest.raises(DataFileError, match="diverged"):
        lineage.continue_run(tmp_path / "dv", lineage.continue_config(tmp_path / "dv", 60, {}), progress=False)


def test_branch_from_the_last_epoch_carries_weights_and_optimizer_state(tmp_path, capsys):
    train(TrainConfig(**SMALL, epochs=12), tmp_path / "a", progress=False)
    parent_state = rundir.load_checkpoint(tmp_path / "a", rundir.FINAL_STATE)
    code, out, err = run_cli(["train", "--from", tmp_path / "a", "--wd", "5", "--epochs", "15",
                              "--out", tmp_path / "b", "--quiet", "--json"], capsys)
    assert code == 0, err
    info = json.loads((tmp_path / "b" / rundir.PARENT).read_text())
    assert info["epoch"] == 12 and info["state"] == "final_state" and info["changed"]["wd"] == [0.0, 5.0]
    assert info["parent"] == str((tmp_path / "a").resolve())
    # the branch equals 3 epochs of a trainer loaded with the parent's state and the new config
    child = TrainConfig(**SMALL, epochs=15, wd=5.0)
    ref = Trainer([child])
    ref.load_states([parent_state | {"config": child.to_dict()}])
    assert ref.opt.t == parent_state["opt"]["t"] > 0  # AdamW's step count and moments came along
    for _ in range(3):
        ref.train_epoch()
    got = rundir.load_npz(tmp_path / "b" / rundir.WEIGHTS)
    assert all(np.array_equal(got[k], v) for k, v in ref.model.member_weights(0).items())
    # the child's curve starts with the parent's rows
    assert (tmp_path / "b" / rundir.METRICS).read_text().startswith(
        (tmp_path / "a" / rundir.METRICS).read_text().rsplit("\n", 2)[0])


def test_branch_from_a_snapshot_says_the_optimizer_restarts(tmp_path):
    train(TrainConfig(**SMALL, epochs=12), tmp_path / "a", progress=False)
    run = rundir.load_run(tmp_path / "a")
    epoch = run.snapshot_epochs()[1]
    cfg = lineage.branch_config(tmp_path / "a", {"wd": 1.0, "epochs": epoch + 1})
    lineage.branch_run(tmp_path / "a", epoch, cfg, tmp_path / "b", progress=False)
    info = json.loads((tmp_path / "b" / rundir.PARENT).read_text())
    assert info["state"] == "snapshot" and "restarted" in info["optimizer"]
    ref = Trainer([cfg])  # fresh AdamW from the float16 snapshot, one epoch
    ref.model.load_member_weights(0, run.snapshot(epoch))
    ref.train_epoch()
    got = rundir.load_npz(tmp_path / "b" / rundir.WEIGHTS)
    assert all(np.array_equal(got[k], v) for k, v in ref.model.member_weights(0).items())
    with pytest.raises(ConfigError, match="snapshot"):
        lineage.branch_state(tmp_path / "a", epoch + 1, cfg)
    with pytest.raises(ConfigError, match="width"):
        lineage.branch_config(tmp_path / "a", {"width": 8})


@pytest.mark.parametrize("text, want", [("runs/a", ("runs/a", None)), ("runs/a@2000", ("runs/a", 2000)),
                                        ("x@y@3", ("x@y", 3))])
def test_parse_source(text, want):
    path, epoch = lineage.parse_source(text)
    assert (str(path), epoch) == want


def test_final_state_is_loadable_without_pickles(tmp_path):
    train(TrainConfig(**SMALL, epochs=3), tmp_path / "a", progress=False)
    state = torch.load(tmp_path / "a" / rundir.FINAL_STATE, weights_only=True)
    assert state["epoch"] == 3


@pytest.mark.slow
def test_continue_1000_to_2000_epochs_equals_a_2000_epoch_run(tmp_path):
    """The sizes of the question "train 1,000 more epochs": 1,000 is not on the log_every = 30 grid."""
    tiny = SMALL | {"p": 7, "width": 8, "log_every": 30}
    train(TrainConfig(**tiny, epochs=1000), tmp_path / "n", progress=False)
    train(TrainConfig(**tiny, epochs=2000), tmp_path / "2n", progress=False)
    lineage.continue_run(tmp_path / "n", lineage.continue_config(tmp_path / "n", 2000, {}), progress=False)
    _same_folders(tmp_path / "n", tmp_path / "2n")


def test_sweep_runs_keep_weights_not_states_and_branch_from_a_snapshot(tmp_path):
    """A sweep's run folders keep no final_state.pt (about 3× the weights each); branching from
    one names its snapshot epochs, and RUN@EPOCH works."""
    from rulesfacts.sweep import run_sweep
    from rulesfacts.sweep.spec import parse_spec

    spec = parse_spec({"name": "s", "base": {**SMALL, "epochs": 12}, "axes": {"wd": [0, 1]},
                       "execution": {"workers": 1}})
    run_sweep(spec, tmp_path / "s", progress=False)
    runs = sorted(p.parent for p in (tmp_path / "s").rglob(rundir.WEIGHTS))
    assert len(runs) == 2 and not any((r / rundir.FINAL_STATE).exists() for r in runs)
    with pytest.raises(DataFileError, match="name a snapshot epoch"):
        lineage.branch_state(runs[0], None, rundir.read_config(runs[0]))
    at = rundir.load_run(runs[0]).snapshot_epochs()[-1]
    child = lineage.branch_run(runs[0], at, rundir.read_config(runs[0]).replace(epochs=15), tmp_path / "child",
                               progress=False)
    assert child.summary["epochs"] == 15
    assert json.loads((tmp_path / "child" / rundir.PARENT).read_text())["state"] == "snapshot"


def test_branches_without_out_get_new_folders_beside_the_parent_and_a_refused_one_leaves_none(tmp_path, capsys):
    train(TrainConfig(**SMALL, epochs=12), tmp_path / "a", progress=False)
    for _ in range(2):
        code, _, err = run_cli(["train", "--from", tmp_path / "a", "--wd", "5", "--epochs", "14", "--quiet",
                                "--json"], capsys)
        assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "a-from", "a-from-2"]
    assert json.loads((tmp_path / "a-from-2" / rundir.PARENT).read_text())["epoch"] == 12
    code, _, err = run_cli(["train", "--from", tmp_path / "a", "--epochs", "12", "--quiet"], capsys)
    assert code == 2 and "epochs" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "a-from", "a-from-2"]
