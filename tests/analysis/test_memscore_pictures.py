"""The top-scored examples of image tasks drawn as pictures: which examples, in which layout, and
the files ``write_outputs`` writes for them. Scores are set by hand (no training): the ranking and
the pictures are checked against the definition, the layouts against index formulas."""

import json

import numpy as np
import pandas as pd

from rulesfacts.analysis.memscore import (
    TOP,
    MemScores,
    as_pictures,
    picture_shape,
    top_examples,
    top_indices,
    write_outputs,
)
from rulesfacts.config.train import TrainConfig
from rulesfacts.tasks import make_split


def hand_scores(cfg: TrainConfig, seed: int = 0) -> MemScores:
    """A score per training example of ``cfg``'s split: facts high, clean low, some ties and unscored."""
    full = make_split(cfg)
    rng = np.random.default_rng(seed)
    n = full.n_train
    score = np.where(full.is_fact, rng.uniform(0.3, 1.0, n), rng.uniform(-0.2, 0.5, n)).round(2)  # ties
    score[rng.choice(n, 5, replace=False)] = np.nan
    table = pd.DataFrame({"index": np.arange(n), "score": score, "se": np.full(n, 0.1), "acc_in": score,
                          "acc_out": np.zeros(n), "k_in": 8, "k_out": 8, "is_fact": full.is_fact,
                          "label": full.y_train, "true_label": full.y_train_true})
    return MemScores(table, int(full.is_fact.sum()), 16, 0.5, None, None, 1.0, None)


DIGITS = TrainConfig(task="images", dataset="digits", fact_frac=0.2, device="cpu")


def test_top_indices_are_the_highest_scores_in_order():
    result = hand_scores(DIGITS)
    s = result.table.score.to_numpy()
    idx = top_indices(result, 20)
    ok = np.isfinite(s)
    # the definition: the 20th-highest finite score bounds every pick from below and every other example from above
    kth = np.sort(s[ok])[::-1][19]
    assert len(idx) == 20 and (s[idx] >= kth).all() and (s[np.setdiff1d(np.flatnonzero(ok), idx)] <= kth).all()
    assert (np.diff(s[idx]) <= 0).all()  # highest first
    assert not np.isnan(s[top_indices(result, len(s) - 5)]).any()  # unscored examples come last
    # equal scores: not in index order, where the images task's facts (its first examples) would come first
    tied = MemScores(result.table.assign(score=1.0), result.n_facts, 16, 0.5, None, None, 1.0, None)
    picks = top_indices(tied, 64)
    facts = result.table.is_fact.to_numpy()
    assert facts[:result.n_facts].all()
    # 64 of the n examples drawn without replacement: hypergeometric mean and sd (629, 125 facts: 12.7 ± 3.0);
    # index order would give 64 facts
    n, q = len(facts), result.n_facts / len(facts)
    sd = (64 * q * (1 - q) * (n - 64) / (n - 1)) ** 0.5
    assert abs(facts[picks].sum() - 64 * q) < 4 * sd


def test_top_examples_carry_the_scores_labels_and_pictures_of_those_examples():
    result = hand_scores(DIGITS)
    full = make_split(DIGITS)
    raw = make_split(DIGITS.replace(normalize="none"))  # the pixels drawn: the same examples, unnormalised
    assert (raw.y_train == full.y_train).all() and (raw.is_fact == full.is_fact).all()
    assert raw.x_train.max() == 16  # scikit-learn's digits: 17 grey levels, 0..16
    examples = top_examples(result, DIGITS, 12)
    assert [e["index"] for e in examples] == top_indices(result, 12).tolist()
    for e in examples:
        i = e["index"]
        assert e["score"] == result.table.score[i] and e["is_fact"] == full.is_fact[i]
        assert e["label"] == full.y_train[i] and e["true_label"] == full.y_train_true[i]
        assert e["picture"].shape == (8, 8)
        # row r, column c of an 8×8 digit is feature 8r + c (scikit-learn's images, flattened row by row)
        assert all(e["picture"][r, c] == raw.x_train[i, 8 * r + c] for r in range(8) for c in range(8))


def test_layouts_follow_the_data_sets_pixel_order():
    x = np.arange(2 * 3072, dtype=float).reshape(2, 3072)
    rgb = as_pictures(x, (32, 32, 3))
    # CIFAR-10 rows: the red plane, then green, then blue, each row by row
    for r, c, ch in ((0, 0, 0), (5, 7, 1), (31, 31, 2), (12, 3, 2)):
        assert rgb[1, r, c, ch] == x[1, ch * 1024 + r * 32 + c]
    assert as_pictures(x[:, :40], (40,)).shape == (2, 40)
    assert picture_shape(DIGITS) == (8, 8) and picture_shape(DIGITS.replace(dataset="mnist1d")) == (40,)
    assert picture_shape(DIGITS.replace(dataset="cifar10")) == (32, 32, 3)
    assert picture_shape(TrainConfig(task="raf")) is None and picture_shape(TrainConfig()) is None


def test_arrays_with_a_square_number_of_features_are_drawn_as_images(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "sq.npz"
    np.savez(path, x=rng.normal(size=(60, 36)), y=rng.integers(0, 2, 60))
    cfg = TrainConfig(task="arrays", data_path=str(path), fact_frac=0.2, device="cpu")
    assert picture_shape(cfg) == (6, 6)
    assert picture_shape(cfg, dim=35) is None and picture_shape(cfg, dim=9) is None  # not square; too small


def test_write_outputs_draws_the_top_examples_of_an_image_task(tmp_path):
    result = hand_scores(DIGITS)
    files = write_outputs(result, DIGITS, tmp_path / "out", top=16)
    assert files["top"] == str(tmp_path / "out" / TOP) and (tmp_path / "out" / TOP).stat().st_size > 0
    summary = json.loads((tmp_path / "out" / "memscore.json").read_text())
    assert summary["files"]["top"] == files["top"]
    # a task without pictures writes no top figure
    raf = TrainConfig(task="raf", d=10, alpha=3.0, fact_frac=0.2)
    assert "top" not in write_outputs(hand_scores(raf), raf, tmp_path / "raf", top=16)
