"""Tiny sweeps shared by the sweep tests (p = 7, width 16: a run trains in well under a second)."""

import pytest

from rulesfacts.sweep.spec import parse_spec
from rulesfacts.sweep.store import TIMING_COLUMNS


def tiny_spec(epochs=40, max_ensemble=32, **axes):
    axes = axes or {"train_frac": [0.4, 0.6], "fact_frac": [0.0, 0.3], "wd": [0, 5]}
    return parse_spec({"name": "tiny", "base": {"p": 7, "width": 16, "epochs": epochs, "log_every": 10,
                                                "n_snapshots": 2, "device": "cpu"},
                       "axes": axes, "execution": {"max_ensemble": max_ensemble, "workers": 1}})


def comparable(df):
    """A results table without its wall-clock columns, in run_id order."""
    return df.drop(columns=list(TIMING_COLUMNS)).sort_values("run_id").reset_index(drop=True)


@pytest.fixture
def tiny():
    return tiny_spec
