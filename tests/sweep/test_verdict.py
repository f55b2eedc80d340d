"""``verdict``: the sentence every command prints about a run follows from its numbers."""

import json

import pytest

from rulesfacts.sweep.phases import PhaseThresholds, classify, verdict
from tests.cli_helpers import run_cli

# (row, phase, what the sentence must say, what it must not)
CASES = [
    (dict(train_acc=0.98, test_acc=0.97, facts_memorized=0.99, facts_recovered=0.0), "coexistence",
     ("facts memorized 99.0%", "test accuracy 97.0%", "still computes the rule"), ("does not",)),
    (dict(train_acc=0.68, test_acc=0.091, facts_memorized=1.0, facts_recovered=0.0), "memorization",
     ("facts memorized 100.0%", "test accuracy 9.1%", "does not compute the rule"), ("still computes",)),
    (dict(train_acc=0.65, test_acc=1.0, facts_memorized=0.0, facts_recovered=0.95), "full inversion",
     ("test accuracy 100.0%", "facts recovered 95.0%", "overrides the facts"), ("stores the facts",)),
    (dict(train_acc=0.7, test_acc=0.95, facts_memorized=0.3, facts_recovered=0.4), "partial inversion",
     ("test accuracy 95.0%", "facts recovered 40.0%", "facts memorized 30.0%", "overrides part of the facts"),
     ("still computes",)),
    (dict(train_acc=0.05, test_acc=0.02, facts_memorized=0.0, facts_recovered=0.01), "forgetting",
     ("train accuracy 5.0%", "test accuracy 2.0%", "neither fits"), ("computes the rule,",)),
    (dict(train_acc=0.5, test_acc=0.4, facts_memorized=0.5, facts_recovered=0.01), "confusion",
     ("facts memorized 50.0%", "neither stores the facts"), ()),
    (dict(train_acc=0.7, test_acc=0.95, facts_memorized=0.3, facts_recovered=0.02), "confusion",
     ("facts memorized 30.0%", "facts recovered 2.0%", "computes the rule"), ()),
    (dict(train_acc=0.3, test_acc=0.2, facts_memorized=None, facts_recovered=None), "no learning",
     ("train accuracy 30.0%", "has not fit"), ()),
    (dict(train_acc=1.0, test_acc=0.1, facts_memorized=None, facts_recovered=None), "memorization",
     ("train accuracy 100.0%", "test accuracy 10.0%", "does not compute the rule"), ()),
    (dict(train_acc=1.0, test_acc=1.0, facts_memorized=None, facts_recovered=None, epoch_train_99=10,
          epoch_test_99=20, epochs=1000), "generalization", ("computes the rule (generalization)",), ("long after",)),
    (dict(train_acc=1.0, test_acc=1.0, facts_memorized=None, facts_recovered=None, epoch_train_99=10,
          epoch_test_99=900, epochs=1000), "grokking", ("long after", "after 1000 epochs"), ()),
    (dict(status="diverged", diverged_epoch=7, train_acc=None, test_acc=None), "diverged",
     ("diverged at epoch 7", "no network"), ("accuracy",)),
]


@pytest.mark.parametrize("row, phase, says, never", CASES)
def test_every_phase_gets_a_sentence_from_its_numbers(row, phase, says, never):
    assert classify(row) == phase
    text = verdict(row)
    assert f"({phase})" in text or phase == "diverged"
    assert all(s in text for s in says), text
    assert not any(s in text for s in never), text


def test_thresholds_move_the_verdict():
    row = dict(train_acc=0.9, test_acc=0.85, facts_memorized=0.95, facts_recovered=0.0)
    assert "(memorization)" in verdict(row)
    assert "(coexistence)" in verdict(row, PhaseThresholds(high=0.8))


def test_train_closes_with_the_verdict_of_its_own_numbers(tmp_path, capsys):
    """`train` (and `demo`, which ends the same way) says what the run measured: a short run that
    memorized its facts without the rule is called memorization, never coexistence."""
    code, out, err = run_cli(["train", "--p", "11", "--width", "16", "--epochs", "30", "--quiet",
                              "--out", tmp_path / "r"], capsys)
    assert code == 0
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["test_acc"] < 0.5 <= summary["facts_memorized"]
    said = " ".join(err.split())  # the console wraps long lines
    assert verdict(summary) in said and "(memorization)" in said and "still computes" not in said
