"""Data: each task turns a ``TrainConfig`` into a ``Split`` (train with its facts, and test).

Tasks are plug-ins (``tasks.base.Task``), found when this package is imported, with no list to
edit: every module of this package that defines ``TASK``, then every entry point of the group
``rulesfacts.tasks`` (how a package of your own adds its tasks: ``[project.entry-points.
"rulesfacts.tasks"] xor = "mypackage.xor"`` names the module, or ``"mypackage.xor:TASK"`` the
task). ``modular`` is the default and comes first, the package's other tasks follow in module
order, then the entry points'. A plug-in that cannot be loaded, whose name or fields clash with a
task already found, or that declares a core field's name (``withdraw_plugins_declaring``, called by
``config.train``, which owns the core fields), is skipped with a note.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import pkgutil
import warnings
from collections.abc import Mapping
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
        owners = {n: f"task {t.name!r}" for t in registry.values() for n in field_names(t)}
        taken = [n for n in field_names(obj) if n in owners]
        if taken:
            return f"its field {taken[0]!r} is already declared by {owners[taken[0]]}"
    return None


def discover() -> tuple[dict[str, Task], dict[str, str]]:
    """Name → task: this package's tasks, then the entry points'; and name → where, for the
    entry points' tasks."""
    registry = {t.name: t for t in package_tasks()}
    plugins = {}
    for where, obj in entry_point_tasks():
        task = getattr(obj, "TASK", None) if isinstance(obj, ModuleType) else obj
        problem = plugin_problem(task, registry)
        if problem:
            warnings.warn(f"{where}: {problem}; task skipped", Note, stacklevel=2)
        else:
            registry[task.name], plugins[task.name] = task, where
    return registry, plugins


REGISTRY, PLUGINS = discover()


def withdraw_plugins_declaring(reserved: Mapping[str, str]) -> None:
    """Skip, with a note, each plug-in task that declares a field name of ``reserved`` (name → who
    declares it). The core fields are declared above this package (``config.train``), which calls
    this before it composes ``TrainConfig`` of the core fields and every task's: a plug-in's mistake
    costs its task, not every command. (This package's own tasks never clash: a test checks.)"""
    for name, where in list(PLUGINS.items()):
        taken = [n for n in field_names(REGISTRY[name]) if n in reserved]
        if taken:
            warnings.warn(f"{where}: its field {taken[0]!r} is already declared by {reserved[taken[0]]}; task "
                          "skipped", Note, stacklevel=2)
            del REGISTRY[name], PLUGINS[name]


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
