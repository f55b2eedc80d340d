"""Name the phase of a finished run from its final subset accuracies.

Corrupted labels (ξ > 0), the six phases of Doshi, Das, He & Gromov ("To grok or not to grok",
2024, Sec. 3 and Fig. 2):

- coexistence:       test high AND facts memorized high (the net stores the facts and the rule);
- full inversion:    test high AND (almost) every fact predicted with its *true* label (train ≈ 1 − ξ);
- partial inversion: test high, some facts recovered, facts memorized below high;
- memorization:      facts memorized high, test low;
- forgetting:        train and test accuracy both low (nothing learned, or learned then decayed away);
- confusion:         everything else (e.g. facts half-memorized and test low).

Clean data (ξ = 0), PAIR's classes ("Do machine learning models memorize or generalize?", 2023):
no learning (train low), memorization (train high, test low), generalization (both high) and
grokking (generalization reached long after memorization: epoch_test_99 − epoch_train_99 above
``grok_delay_frac`` of the run's epochs). Diverged runs get the label ``diverged``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rulesfacts.config import Config, Real, param

CORRUPT_PHASES = ("coexistence", "partial inversion", "full inversion", "memorization", "forgetting", "confusion")
CLEAN_PHASES = ("no learning", "memorization", "generalization", "grokking")
# Every phase label, in the order of the tables in docs/sweeps.md (corrupted labels, clean labels,
# then diverged). This order is also the tie rule of a phase map (``sweep.diagrams.majority_phase``)
# and the order of the legends; the colours are ``rulesfacts.plotting.PHASE_COLORS``.
PHASES = tuple(dict.fromkeys(CORRUPT_PHASES + CLEAN_PHASES + ("diverged",)))


FRACTION = Real(0.0, 1.0)


@dataclass(frozen=True)
class PhaseThresholds(Config):
    """Accuracy levels that separate the phases (fractions in [0, 1]); see each field's help."""

    prefix = "phases."

    high: float = param(0.9, FRACTION, "Test / facts-memorized / train accuracy counted as high (the paper's "
                        "phases sit far from it: coexistence ≈ 98%, inversion test = 100%).")
    recovered_all: float = param(0.9, FRACTION, "Facts recovered (predicted with the rule's label) for full "
                                 "inversion.")
    recovered_some: float = param(0.1, FRACTION, "Facts recovered for partial inversion (with p classes a fact "
                                  "is recovered by chance with probability ≈ 1/p).")
    forget: float = param(0.2, FRACTION, "Train and test accuracy both below this: forgetting (chance is 1/p).")
    grok_delay_frac: float = param(0.1, FRACTION, "ξ = 0 runs whose test accuracy reaches 99% more than this "
                                   "fraction of the epochs after the train accuracy did are grokking.")

    def check_together(self) -> None:
        if self.recovered_some > self.recovered_all:
            raise self.reject("recovered_some", f"≤ recovered_all = {self.recovered_all}")


def _num(v: Any) -> float | None:
    if v is None:
        return None
    v = float(v)
    return None if math.isnan(v) else v


def classify(row: Mapping[str, Any], thresholds: PhaseThresholds | None = None) -> str:
    """The phase of one run from its summary / table row (keys train_acc, test_acc,
    facts_memorized, facts_recovered, status; epoch_train_99, epoch_test_99, epochs for ξ = 0)."""
    t = thresholds or PhaseThresholds()
    if row.get("status") == "diverged":
        return "diverged"
    train, test = _num(row.get("train_acc")), _num(row.get("test_acc"))
    if train is None or test is None:
        return "diverged"
    mem, rec = _num(row.get("facts_memorized")), _num(row.get("facts_recovered"))
    if mem is None or rec is None:  # no facts (ξ = 0 or too few examples): PAIR's classes
        return classify_clean(train, test, row.get("epoch_train_99"), row.get("epoch_test_99"),
                              row.get("epochs"), t)
    if test >= t.high:
        if mem >= t.high:
            return "coexistence"
        if rec >= t.recovered_all:
            return "full inversion"
        if rec >= t.recovered_some:
            return "partial inversion"
        return "confusion"
    if mem >= t.high:
        return "memorization"
    if train < t.forget and test < t.forget:
        return "forgetting"
    return "confusion"


def classify_clean(train: float, test: float, epoch_train_99: Any, epoch_test_99: Any, epochs: Any,
                   t: PhaseThresholds) -> str:
    """PAIR's classes for clean labels; the grokking delay is measured at the 99% level."""
    if train < t.high:
        return "no learning" if test < t.high else "generalization"
    if test < t.high:
        return "memorization"
    if epoch_train_99 is not None and epoch_test_99 is not None and epochs:
        delay = float(epoch_test_99) - float(epoch_train_99)
        if not math.isnan(delay) and delay > t.grok_delay_frac * float(epochs):
            return "grokking"
    return "generalization"


def verdict(row: Mapping[str, Any], thresholds: PhaseThresholds | None = None) -> str:
    """One sentence that says what a run's measured numbers show: its phase (``classify``), with
    the numbers the phase was read from. Every command that summarises a run prints this sentence,
    so a summary never says more than its metrics do."""
    t = thresholds or PhaseThresholds()
    phase = classify(row, t)
    if phase == "diverged":
        at = row.get("diverged_epoch")
        return (f"the run diverged{f' at epoch {at}' if at is not None else ''} (its loss or weights stopped "
                "being finite): there is no network to measure; a smaller learning rate may help.")
    train, test = _num(row.get("train_acc")), _num(row.get("test_acc"))
    mem, rec = _num(row.get("facts_memorized")), _num(row.get("facts_recovered"))
    nums = {"train": f"train accuracy {train:.1%}", "test": f"test accuracy {test:.1%}",
            "mem": f"facts memorized {mem:.1%}" if mem is not None else "",
            "rec": f"facts recovered {rec:.1%}" if rec is not None else ""}
    says = {
        "coexistence": (("mem", "test"), "the net stores the facts and still computes the rule (coexistence)"),
        "full inversion": (("test", "rec"), "the net computes the rule and overrides the facts with it "
                           "(full inversion)"),
        "partial inversion": (("test", "rec", "mem"), "the net computes the rule and overrides part of the facts "
                              "with it (partial inversion)"),
        "memorization": (("mem", "test"), "the net stores the facts but does not compute the rule (memorization)"),
        "forgetting": (("train", "test"), "the net neither fits its training labels nor computes the rule "
                       "(forgetting)"),
        "confusion": (("mem", "test"), f"the net neither stores the facts (< {t.high:.0%}) nor computes the rule "
                      f"(< {t.high:.0%}) (confusion)"),
        "no learning": (("train", "test"), "the net has not fit its training labels (no learning)"),
        "generalization": (("train", "test"), "the net computes the rule (generalization)"),
        "grokking": (("train", "test"), "the net computes the rule, reached long after it fit the training set "
                     "(grokking)"),
    }
    if phase == "memorization" and mem is None:  # clean labels: train high, test low
        keys, text = ("train", "test"), "the net fits its training set but does not compute the rule (memorization)"
    elif phase == "confusion" and mem is not None and test >= t.high:
        keys, text = ("test", "mem", "rec"), "the net computes the rule; the facts are neither stored nor recovered " \
                                             "(confusion)"
    else:
        keys, text = says[phase]
    epochs = row.get("epochs")
    after = f" after {epochs} epochs" if epochs is not None else ""
    return f"{', '.join(nums[k] for k in keys)}{after}: {text}."
