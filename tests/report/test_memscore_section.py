"""The memorization-score section's data: the sentences follow the numbers, the (a, b) table holds
each pair's own score and subset, and scores of another training set are not shown as this run's."""

import base64

import numpy as np
import pandas as pd
import pytest

from rulesfacts.errors import DataFileError
from rulesfacts.report.encode import unhalf
from rulesfacts.report.memscore_section import (
    CLEAN,
    FACT,
    NO_PAIR,
    TABLE_NAME,
    UNSCORED_OFFSET,
    memscore_data,
    sentences,
)
from rulesfacts.tasks import make_split
from tests.report.conftest import write_fake_run
from tests.report.memscore_helpers import hand_memscores


def test_sentences_state_the_numbers_and_which_way_they_point():
    s = {"n_train": 200, "n_facts": 40, "mean_score_facts": 0.8125, "mean_score_clean": 0.0625, "roc_auc": 0.96,
         "precision_at_facts": 0.85, "seconds": 12.5, "members": 16, "cost_vs_single": 9.5, "n_unscored": 0}
    text = " ".join(sentences(s))
    assert "Facts score 0.812 on average and clean examples 0.062" in text  # round half to even at 3 digits
    assert "the facts are the more memorized" in text
    assert "probability 0.960" in text
    # 85 % of the top 40 against a base rate of 40/200 = 20 %: 4.25×, printed with one decimal
    assert "85.0% are facts, against 20.0% of the training set (4.2× the base rate)" in text
    assert "9.5× one training run" in text and "no score" not in text
    flipped = " ".join(sentences(s | {"mean_score_facts": 0.0, "mean_score_clean": 0.5}))
    assert "the clean examples are the more memorized" in flipped
    # a number that is not there gives no sentence (no fixed text about it)
    bare = sentences({"n_train": 200, "n_facts": 0, "members": 4, "seconds": 1.0})
    assert bare == ["The 4 networks trained in 1 s."]


def test_the_pairs_table_holds_each_pairs_score_subset_and_labels(tmp_path):
    cfg = write_fake_run(tmp_path)
    result = hand_memscores(tmp_path)
    block = memscore_data(tmp_path, cfg)
    assert block["examples_kind"] == "cells"
    cells, p = block["cells"], cfg.p
    subset = np.frombuffer(base64.b64decode(cells["subset"]), np.uint8)
    score = unhalf(cells["score"]).ravel()
    split = make_split(cfg)
    s = result.table.score.to_numpy()
    for i in range(split.n_train):
        k = int(split.x_train[i, 0]) * p + int(split.x_train[i, 1]) - p
        code = (FACT if split.is_fact[i] else CLEAN) + (0 if np.isfinite(s[i]) else UNSCORED_OFFSET)
        assert subset[k] == code
        if np.isfinite(s[i]):  # float16 holds a score to within half a unit in the 11th bit
            assert score[k] == pytest.approx(s[i], abs=2.0**-11)
    assert (subset == NO_PAIR).sum() == p * p - split.n_train
    # the listed top examples are the highest scores, with their cells
    top = block["top"]
    assert [t["score"] for t in top] == sorted(s[np.isfinite(s)], reverse=True)[:len(top)]
    assert all(t["a"] == split.x_train[t["index"], 0] for t in top)


def test_scores_of_another_training_set_are_not_shown_as_this_runs(tmp_path):
    cfg = write_fake_run(tmp_path)
    hand_memscores(tmp_path)
    table = pd.read_csv(tmp_path / TABLE_NAME)
    table["label"] = (table["label"] + 1) % cfg.p  # as if scored with other data flags
    table.to_csv(tmp_path / TABLE_NAME, index=False)
    block = memscore_data(tmp_path, cfg)
    assert "top" not in block and "not this run's training set" in block["examples_note"]
    assert block["histogram"]["edges"][0] == -1.0  # the summary is still shown
    (tmp_path / TABLE_NAME).write_text("index,score\n0,0.5\n")
    with pytest.raises(DataFileError, match="no column"):
        memscore_data(tmp_path, cfg)


def test_a_task_without_pictures_lists_its_top_examples(tmp_path):
    from rulesfacts.config.train import TrainConfig
    from rulesfacts.report.memscore_section import TOP_SHOWN
    from rulesfacts.training import rundir

    cfg = TrainConfig(task="raf", d=10, alpha=4.0, fact_frac=0.25, device="cpu")
    rundir.write_config(tmp_path, cfg)
    result = hand_memscores(tmp_path)
    block = memscore_data(tmp_path, cfg)
    assert block["examples_kind"] == "table" and "pixels" not in block["top"][0]
    s = result.table.score.to_numpy()
    assert [t["score"] for t in block["top"]] == sorted(s[np.isfinite(s)], reverse=True)[:TOP_SHOWN]
    split = make_split(cfg)
    assert all(t["is_fact"] == split.is_fact[t["index"]] and t["label"] == split.y_train[t["index"]]
               for t in block["top"])
