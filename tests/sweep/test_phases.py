"""Phase labels against the paper's reference points and PAIR's definitions."""

import pytest

from rulesfacts.errors import ConfigError
from rulesfacts.plotting import PHASE_COLORS
from rulesfacts.sweep.phases import PHASES, PhaseThresholds, classify

XI = 0.35  # Doshi et al.'s reference points: p = 97, N = 500, α = 0.5, ξ = 0.35 (references.md §1)


def paper_point(train: float, test: float, clean: float = 1.0) -> dict:
    """Subset accuracies implied by a reported (train, test) pair: train = (1 − ξ)·clean + ξ·memorized,
    and with a clean-learning net a fact not memorized is predicted with its true label."""
    memorized = min(1.0, max(0.0, (train - (1 - XI) * clean) / XI))
    return {"train_acc": train, "test_acc": test, "clean_acc": clean, "facts_memorized": memorized,
            "facts_recovered": 1.0 - memorized, "status": "completed", "fact_frac": XI}


@pytest.mark.parametrize("train, test, clean, phase", [
    (0.978, 0.983, 1.0, "coexistence"),         # wd 0, 1000 epochs
    (0.786, 1.000, 1.0, "partial inversion"),   # wd 5, 500 epochs
    (0.654, 1.000, 1.0, "full inversion"),      # wd 15, 500 epochs
])
def test_paper_reference_points(train, test, clean, phase):
    assert classify(paper_point(train, test, clean)) == phase


def test_paper_forgetting_point():
    # wd 20, 5000 epochs: ~1% train and test, nothing memorized or recovered
    row = {"train_acc": 0.01, "test_acc": 0.01, "clean_acc": 0.01, "facts_memorized": 0.01,
           "facts_recovered": 0.01, "status": "completed"}
    assert classify(row) == "forgetting"


def test_memorization_and_confusion():
    base = {"status": "completed", "clean_acc": 1.0}
    assert classify({**base, "train_acc": 1.0, "test_acc": 0.03, "facts_memorized": 1.0,
                     "facts_recovered": 0.0}) == "memorization"
    assert classify({**base, "train_acc": 0.6, "test_acc": 0.3, "facts_memorized": 0.5,
                     "facts_recovered": 0.1}) == "confusion"


def test_thresholds_move_the_boundary():
    row = paper_point(0.786, 1.0)  # 39% of the facts memorized, 61% recovered
    assert classify(row) == "partial inversion"
    assert classify(row, PhaseThresholds(recovered_all=0.6)) == "full inversion"
    assert classify(row, PhaseThresholds(recovered_some=0.7, recovered_all=0.8)) == "confusion"


@pytest.mark.parametrize("train, test, e_train, e_test, phase", [
    (0.5, 0.05, None, None, "no learning"),
    (1.0, 0.10, 100, None, "memorization"),
    (1.0, 1.00, 100, 120, "generalization"),   # delay 20 epochs of 1000: not grokking
    (1.0, 1.00, 100, 900, "grokking"),         # delay 800 > 10% of 1000
])
def test_pair_classes_for_clean_labels(train, test, e_train, e_test, phase):
    row = {"train_acc": train, "test_acc": test, "facts_memorized": None, "facts_recovered": None,
           "epoch_train_99": e_train, "epoch_test_99": e_test, "epochs": 1000, "status": "completed"}
    assert classify(row) == phase


def test_grok_delay_threshold_is_configurable():
    row = {"train_acc": 1.0, "test_acc": 1.0, "facts_memorized": None, "facts_recovered": None,
           "epoch_train_99": 100, "epoch_test_99": 150, "epochs": 1000, "status": "completed"}
    assert classify(row) == "generalization"
    assert classify(row, PhaseThresholds(grok_delay_frac=0.01)) == "grokking"


def test_diverged_and_nan_rows():
    assert classify({"status": "diverged", "train_acc": None, "test_acc": None}) == "diverged"
    assert classify({"status": "completed", "train_acc": float("nan"), "test_acc": 0.5}) == "diverged"


def test_every_phase_has_a_colour():
    assert set(PHASES) == set(PHASE_COLORS)


@pytest.mark.parametrize("kw", [{"high": 1.5}, {"forget": -0.1}, {"high": True},
                                {"recovered_some": 0.95, "recovered_all": 0.9}])
def test_bad_thresholds(kw):
    with pytest.raises(ConfigError) as e:
        PhaseThresholds(**kw)
    assert e.value.field.startswith("phases.")
