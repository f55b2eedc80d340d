"""The keys of a run's summary (RUN_DIR/summary.json), declared once.

The trainer writes them, ``rulesfacts train`` prints those marked ``shown``, and a sweep's
results table has one column per key marked ``stored`` (its SQLite type is ``sql``). A key not
stored either repeats a config column of the same name (``epochs``, ``n_train``, ``n_test``,
``seed``: the table's columns are the config's there) or says how the run was batched rather
than what it found.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SummaryKey:
    sql: str  # INTEGER | REAL | TEXT
    meaning: str
    shown: bool = True  # in the summary `rulesfacts train` and `demo` print
    stored: bool = True  # a column of a sweep's results.sqlite


SUMMARY_KEYS: dict[str, SummaryKey] = {
    "train_acc": SummaryKey("REAL", "Final accuracy on the whole training set (rule examples and facts)."),
    "test_acc": SummaryKey("REAL", "Final accuracy on the held-out test examples (the rule)."),
    "clean_acc": SummaryKey("REAL", "Final accuracy on the training examples with their true label."),
    "facts_memorized": SummaryKey("REAL", "Fraction of the facts predicted with their corrupted label."),
    "facts_recovered": SummaryKey("REAL", "Fraction of the facts predicted with the rule's true label."),
    "e_gen": SummaryKey("REAL", "Test error 1 − test_acc: the RAF theory's E_gen (fresh rule-labelled inputs)."),
    "e_mem": SummaryKey("REAL", "1 − facts_memorized: the RAF theory's E_mem, the fraction of facts whose "
                                "prediction is not their trained label."),
    "train_loss": SummaryKey("REAL", "Final training loss."),
    "test_loss": SummaryKey("REAL", "Final test loss."),
    "epochs": SummaryKey("INTEGER", "Epochs trained (where a diverged run stopped).", stored=False),
    "seconds": SummaryKey("REAL", "Training time in seconds (a resumed run adds up its sessions)."),
    "status": SummaryKey("TEXT", "completed, diverged, or the state of an unfinished run."),
    "diverged_epoch": SummaryKey("INTEGER", "Epoch at which the loss stopped being finite, else null."),
    "epoch_train_99": SummaryKey("INTEGER", "First logged epoch with train accuracy ≥ 99%, else null."),
    "epoch_test_99": SummaryKey("INTEGER", "First logged epoch with test accuracy ≥ 99%, else null."),
    "grok_delay": SummaryKey("INTEGER", "epoch_test_99 − epoch_train_99: how long generalization lagged."),
    "n_train": SummaryKey("INTEGER", "Number of training examples.", stored=False),
    "n_test": SummaryKey("INTEGER", "Number of test examples.", shown=False, stored=False),
    "n_facts": SummaryKey("INTEGER", "Number of facts (corrupted training labels).", stored=False),
    "ensemble_size": SummaryKey("INTEGER", "Members of the batched ensemble the run was trained in.",
                                shown=False, stored=False),
    "seed": SummaryKey("INTEGER", "The run's seed (tells the members of an ensemble apart).", shown=False,
                       stored=False),
}


# The keys that are fractions of examples, in [0, 1] (file checks: rundir, the sweep table).
FRACTION_KEYS = frozenset(k for k in SUMMARY_KEYS if k.endswith("_acc") or k in ("facts_memorized", "facts_recovered"))


def shown_keys() -> tuple[str, ...]:
    return tuple(k for k, v in SUMMARY_KEYS.items() if v.shown)


def stored_columns() -> dict[str, str]:
    """Column name → SQLite type of the summary keys a sweep's results table holds."""
    return {k: v.sql for k, v in SUMMARY_KEYS.items() if v.stored}
