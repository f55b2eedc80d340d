"""Sweeps: a spec (base config + axes) → batched ensembles on local cores or Ray → one results
table per sweep, with a phase label per run and phase diagrams (docs/sweeps.md)."""

from rulesfacts.sweep.phases import PhaseThresholds, classify
from rulesfacts.sweep.runner import run_sweep
from rulesfacts.sweep.spec import SweepSpec, expand, load_spec, run_id
from rulesfacts.sweep.store import load_results

__all__ = ["PhaseThresholds", "SweepSpec", "classify", "expand", "load_results", "load_spec", "run_id",
           "run_sweep"]
