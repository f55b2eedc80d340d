"""Sweeps: a spec (base config + axes) → batched ensembles on local cores or Ray → one results
table per sweep, with a phase label per run and phase diagrams (docs/sweeps.md).

The names below are imported on first use (PEP 562): reading and checking a spec
(``rulesfacts.sweep.spec``, ``sweep --dry-run``) needs neither torch nor pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rulesfacts.sweep.phases import PhaseThresholds, classify
    from rulesfacts.sweep.runner import run_sweep
    from rulesfacts.sweep.spec import SweepSpec, expand, load_spec, run_id
    from rulesfacts.sweep.store import load_results

EXPORTS = {
    "PhaseThresholds": "rulesfacts.sweep.phases", "classify": "rulesfacts.sweep.phases",
    "run_sweep": "rulesfacts.sweep.runner", "load_results": "rulesfacts.sweep.store",
    "SweepSpec": "rulesfacts.sweep.spec", "expand": "rulesfacts.sweep.spec", "load_spec": "rulesfacts.sweep.spec",
    "run_id": "rulesfacts.sweep.spec",
}

__all__ = ["PhaseThresholds", "SweepSpec", "classify", "expand", "load_results", "load_spec", "run_id",
           "run_sweep"]


def __getattr__(name: str) -> Any:
    if name in EXPORTS:
        return getattr(importlib.import_module(EXPORTS[name]), name)
    raise AttributeError(f"module 'rulesfacts.sweep' has no attribute {name!r}")
