"""Data: each task turns a ``TrainConfig`` into a ``Split`` (train with its facts, and test).

Tasks are plug-ins (``tasks.base.Task``), found when this package is imported, with no list to
edit: every module of this package that defines ``TASK``, then every entry point of the group
``rulesfacts.tasks`` (how a package of your own adds its tasks: ``[project.entry-points.
"rulesfacts.tasks"] xor = "mypackage.xor"`` names the module, or ``"mypackage.xor:TASK"`` the
task). ``modular`` is the default and comes first, the package's other tasks follow in module
order, then the entry points'. A plug-in that cannot be loaded, or whose name or fields clash with
a task already found, is skipped with a note.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import pkgutil
import warnings
from types import ModuleType
from typing import TYPE_CHECKING, Any

from rulesfacts.declare import declaration
from rulesfacts.errors import Note
from rulesfacts.tasks.base import Split, Task

if TYPE_CHECKING:
    from rulesfacts.config.train import TrainConfig

DEFAULT_TASK = "modular"
ENTRY_POINT_GROUP = "rulesfacts.tasks"


def package_tasks() -> list[Task]:
    """The ``TASK`` of every module of this package, the default task first."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        task = getattr(importlib.import_module(f"{__name__}.{info.name}"), "TASK", None)
        if isinstance(task, Task):
            found.append(task)
    return sorted(found, key=lambda t: t.name != DEFAULT_TASK)


def entry_point_tasks() -> list[tuple[str, Any]]:
    """(where, loaded object) for each entry point of the group; a failed load is skipped with a note."""
    out = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        where = f"entry point {ep.name} = {ep.value!r} ({ENTRY_POINT_GROUP})"
        try:
            out.append((where, ep.load()))
        except Exception as e:  # a user's package: any error in it is reported, not raised
            warnings.warn(f"{where}: cannot be loaded ({e.__class__.__name__}: {e}); task skipped", Note,
                          stacklevel=2)
    return out


def field_names(task: Task) -> list[str]:
    return [f.name for f in dataclasses.fields(task.fields)] if task.fields is not None else []


def plugin_problem(obj: Any, registry: dict[str, Task]) -> str | None:
    """Why a loaded plug-in cannot be added to ``registry`` (None: it can)."""
    if not isinstance(obj, Task):
        return f"not a rulesfacts.tasks.base.Task (got {type(obj).__name__})"
    if obj.name in registry:
        return f"the task name {obj.name!r} is taken"
    if obj.fields is not None:
        params = getattr(obj.fields, "__dataclass_params__", None)
        if params is None or not params.frozen:
            return "its fields are not a frozen dataclass"
        try:
            for f in dataclasses.fields(obj.fields):
                declaration(f)
        except TypeError as e:
            return str(e)
        taken = set(field_names(obj)) & {n for t in registry.values() for n in field_names(t)}
        if taken:
            return f"its field {sorted(taken)[0]!r} is another task's"
    return None


def discover() -> dict[str, Task]:
    """Name → task: this package's tasks, then the entry points'."""
    registry = {t.name: t for t in package_tasks()}
    for where, obj in entry_point_tasks():
        task = getattr(obj, "TASK", None) if isinstance(obj, ModuleType) else obj
        problem = plugin_problem(task, registry)
        if problem:
            warnings.warn(f"{where}: {problem}; task skipped", Note, stacklevel=2)
        else:
            registry[task.name] = task
    return registry


REGISTRY: dict[str, Task] = discover()


def make_split(cfg: TrainConfig) -> Split:
    """The train/test split of ``cfg.task``, deterministic in ``cfg.effective_data_seed``."""
    return REGISTRY[cfg.task].split(cfg)


def describe(cfg: TrainConfig) -> str:
    """One line naming the data of ``cfg`` (its task and the fields that set it)."""
    return REGISTRY[cfg.task].describe(cfg)


def train_count(cfg: TrainConfig) -> int:
    """The number of training examples of ``cfg`` (an estimate for images: the split is exact)."""
    return REGISTRY[cfg.task].train_count(cfg)


def n_examples(cfg: TrainConfig) -> int:
    """The size of the whole example set (train and test) of ``cfg``."""
    return REGISTRY[cfg.task].n_examples(cfg)


__all__ = ["DEFAULT_TASK", "REGISTRY", "Split", "Task", "describe", "make_split", "n_examples", "train_count"]
