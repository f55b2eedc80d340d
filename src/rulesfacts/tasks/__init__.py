"""Data: each task turns a ``TrainConfig`` into a ``Split`` (train with its facts, and test).

Tasks are plug-ins (``tasks.base.Task``): one module each, listed in ``REGISTRY``.
"""

from __future__ import annotations

from rulesfacts.config.train import TASKS, TrainConfig
from rulesfacts.tasks import arrays, image_task, modular, parity, raf
from rulesfacts.tasks.base import Split, Task

REGISTRY: dict[str, Task] = {t.name: t for t in (modular.TASK, parity.TASK, raf.TASK, arrays.TASK, image_task.TASK)}
assert tuple(REGISTRY) == TASKS, "every task named in config/train.py has a module here, in the same order"


def make_split(cfg: TrainConfig) -> Split:
    """The train/test split of ``cfg.task``, deterministic in ``cfg.effective_data_seed``."""
    return REGISTRY[cfg.task].split(cfg)


def describe(cfg: TrainConfig) -> str:
    """One line naming the data of ``cfg`` (its task and the fields that set it)."""
    return REGISTRY[cfg.task].describe(cfg)


__all__ = ["REGISTRY", "Split", "Task", "describe", "make_split"]
