"""rulesfacts: does a network learn the rule, or memorize the facts?

The names below are imported on first use (PEP 562), so that ``import rulesfacts`` — which every
``rulesfacts`` command does first — costs milliseconds instead of torch's import: a Ctrl-C in the
first seconds of a command then reaches the command line's own handler (one line, exit 130).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rulesfacts.config.train import TrainConfig
    from rulesfacts.errors import ConfigError, DataFileError, RulesfactsError
    from rulesfacts.training.rundir import Run, load_run
    from rulesfacts.training.trainer import RunResult, Trainer, train, train_ensemble

# public name → the module that defines it
EXPORTS = {
    "TrainConfig": "rulesfacts.config.train",
    "ConfigError": "rulesfacts.errors", "DataFileError": "rulesfacts.errors", "RulesfactsError": "rulesfacts.errors",
    "Run": "rulesfacts.training.rundir", "load_run": "rulesfacts.training.rundir",
    "RunResult": "rulesfacts.training.trainer", "Trainer": "rulesfacts.training.trainer",
    "train": "rulesfacts.training.trainer", "train_ensemble": "rulesfacts.training.trainer",
}

__all__ = ["ConfigError", "DataFileError", "Run", "RulesfactsError", "RunResult", "TrainConfig", "Trainer",
           "__version__", "load_run", "train", "train_ensemble"]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from rulesfacts.runtime import package_version

        return package_version()
    if name in EXPORTS:
        return getattr(importlib.import_module(EXPORTS[name]), name)
    raise AttributeError(f"module 'rulesfacts' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
