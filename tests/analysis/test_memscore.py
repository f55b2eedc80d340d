"""Memorization scores: the detector statistics against brute force, the batched estimate against
members trained one at a time, and the command's files and JSON keys."""

import json

import numpy as np
import pytest
import torch

from rulesfacts.analysis.memscore import (
    member_correct,
    memorization_scores,
    precision_at,
    roc_auc,
    subset_masks,
    subset_split,
)
from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError
from rulesfacts.tasks import make_split
from rulesfacts.training.callbacks import Callback
from rulesfacts.training.trainer import Trainer
from tests.cli_helpers import run_cli


def brute_auc(score, pos):
    """Fraction of (positive, negative) pairs ordered correctly, ties ½: the definition, pair by pair."""
    ps, ns = score[pos], score[~pos]
    wins = sum((p > n) + 0.5 * (p == n) for p in ps for n in ns)
    return wins / (len(ps) * len(ns))


def test_roc_auc_and_precision_match_their_definitions():
    rng = np.random.default_rng(0)
    score = rng.integers(0, 5, size=60).astype(float)  # many ties
    pos = rng.random(60) < 0.3
    assert roc_auc(score, pos) == pytest.approx(brute_auc(score, pos), abs=1e-12)
    assert roc_auc(score, np.zeros(60, bool)) is None
    # ties at the k-th score broken at random: the mean over many random tie-breaks
    k = int(pos.sum())
    picks = [pos[np.lexsort((rng.random(60), -score))[:k]].mean() for _ in range(4000)]
    assert precision_at(score, pos, k) == pytest.approx(np.mean(picks), abs=4 * np.std(picks) / np.sqrt(4000))
    # all tied: the base rate, whatever the order (facts first, as in modular arithmetic)
    assert precision_at(np.ones(60), np.arange(60) < 20, 20) == pytest.approx(20 / 60)
    perfect = np.where(pos, 1.0, 0.0)
    assert roc_auc(perfect, pos) == 1.0 and precision_at(perfect, pos, int(pos.sum())) == 1.0


def test_each_member_trains_on_exactly_keep_n_examples_and_each_example_is_held_out_by_some():
    masks = subset_masks(101, 40, 0.5, seed=3)
    assert (masks.sum(1) == 50).all()
    held_out = (~masks).sum(0)
    # each example is out with probability 51/101 per member: mean 20.2 of 40
    assert abs(held_out.mean() - 40 * 51 / 101) < 1e-9
    with pytest.raises(ConfigError):
        subset_masks(10, 4, 0.0, seed=0)


def raf_cfg(**kw):
    base = {"task": "raf", "model": "linear", "loss": "square", "d": 20, "alpha": 4.0, "fact_frac": 0.3,
            "lam": 1e-3, "epochs": 150, "log_every": 150, "n_snapshots": 0, "test_size": 50}
    return TrainConfig(**(base | kw))


def test_scores_equal_members_trained_one_at_a_time():
    """The batched estimate against an independent loop: each member alone on its subset, its
    predictions on every training example, the two accuracies counted example by example."""
    cfg = raf_cfg()
    result = memorization_scores(cfg, members=4, keep=0.5, seed=1, progress=False, single=False)
    full = make_split(cfg)
    masks = subset_masks(full.n_train, 4, 0.5, seed=1)
    correct = np.zeros_like(masks)
    for m in range(4):
        member = cfg.replace(seed=cfg.seed + m, data_seed=cfg.effective_data_seed)
        trainer = Trainer([member], splits=[subset_split(full, masks[m])])
        trainer.fit()
        h = trainer.model.margin(torch.from_numpy(full.x_train)[None]).detach().numpy()[0]
        correct[m] = (h > 0).astype(int) == full.y_train
    for i in range(full.n_train):
        ins = [correct[m, i] for m in range(4) if masks[m, i]]
        outs = [correct[m, i] for m in range(4) if not masks[m, i]]
        expected = (np.mean(ins) if ins else np.nan) - (np.mean(outs) if outs else np.nan)
        got = result.table.score[i]
        assert (np.isnan(expected) and np.isnan(got)) or got == pytest.approx(expected, abs=1e-12)


def test_callbacks_see_the_members_at_every_log_epoch_and_the_last_look_gives_the_scores():
    """A callback (the benchmark's AUC-against-epochs curve) is called on the members' ensemble at
    each log epoch, not on the single full-set run; what it sees at the last epoch, scored with
    the subsets ``subset_masks`` draws, is the returned table."""
    cfg = raf_cfg(epochs=150, log_every=50)
    full = make_split(cfg)
    masks = subset_masks(full.n_train, 4, 0.5, seed=1)

    class Look(Callback):
        def __init__(self):
            self.epochs, self.correct = [], None

        def on_log(self, trainer, epoch):
            self.epochs.append(epoch)
            assert len(trainer.cfgs) == 4
            self.correct = member_correct(trainer, full)

    look = Look()
    result = memorization_scores(cfg, members=4, keep=0.5, seed=1, progress=False, single=True, callbacks=[look])
    assert look.epochs == [0, 50, 100, 150]
    c = look.correct
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = (c & masks).sum(0) / masks.sum(0) - (c & ~masks).sum(0) / (~masks).sum(0)
    np.testing.assert_array_equal(expected, result.table.score.to_numpy())


def test_memscore_command_writes_the_table_histogram_and_json(tmp_path, capsys):
    out = tmp_path / "ms"
    code, stdout, _ = run_cli(["memscore", "--task", "raf", "--model", "linear", "--loss", "square", "--d", "20",
                               "--alpha", "4", "--fact-frac", "0.3", "--lam", "0.001", "--epochs", "100",
                               "--test-size", "50", "--members", "4", "-o", str(out), "--json", "-q"], capsys)
    assert code == 0
    summary = json.loads(stdout)
    for key in ("roc_auc", "precision_at_facts", "seconds", "train_seconds_single"):
        assert key in summary
    assert summary["members"] == 4 and summary["keep"] == 0.5
    assert 0.0 <= summary["roc_auc"] <= 1.0
    table = (out / "memscores.csv").read_text().splitlines()
    assert table[0].startswith("index,score,se") and len(table) == 1 + 80
    assert (out / "memscore-hist.png").stat().st_size > 0
    assert json.loads((out / "memscore.json").read_text())["histogram"]["edges"][0] == -1.0
    # the run report's data block reads the same numbers back; a damaged file names itself
    from rulesfacts.errors import DataFileError
    from rulesfacts.report.memscore_section import memscore_data

    block = memscore_data(out)
    import pandas as pd

    scored = pd.read_csv(out / "memscores.csv").dropna(subset=["score"])
    assert summary["n_unscored"] == 80 - len(scored)  # 4 members: some examples always in, or always out
    assert block["roc_auc"] == summary["roc_auc"] and sum(block["histogram"]["facts"]) == scored.is_fact.sum()
    (out / "memscore.json").write_text("[1, 2]")
    with pytest.raises(DataFileError):
        memscore_data(out)
    assert memscore_data(tmp_path) is None
