"""Sweep specs: a base ``TrainConfig`` plus axes, from a TOML file, a preset name or CLI flags.

A spec file has four tables (every key is checked; an unknown one is a ``ConfigError``)::

    name = "small"                       # optional, names the default output folder (sweeps/<name>)
    [base]       TrainConfig fields shared by every run
    [axes]       field = [values] | {linspace=[lo, hi, n]} | {geomspace=[lo, hi, n]}
                 | {range=n} | {range=[start, stop, step]} | {values=[...]}
                 | {random={low=, high=, n=, seed=0, log=false, integer=false}}
    [phases]     PhaseThresholds fields (``rulesfacts.sweep.phases``)
    [execution]  ExecutionConfig fields: executor, workers, threads, max_ensemble, max_memory_mb, address
    [diagram]    x, y, panel: the axes of the phase maps (default train_frac, fact_frac, the rest)

The grid is the Cartesian product of the axes, in file order (the last axis varies fastest). Its
size is counted from the axes' lengths before anything is generated: a grid of more than
``max_runs`` points ([execution], or ``--max-runs``) is refused at once, and the grid is expanded
lazily. An axis's values are stored as its field stores them (``0`` and ``0.0`` are one value of a
float field), so a value given twice is an error and one config has one run id.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from rulesfacts.config import (
    Choice,
    Config,
    Int,
    Real,
    Text,
    declarations,
    first_names,
    literal,
    param,
    renamed_fields,
    resolve_key,
    toml_key,
    warn_renamed,
)
from rulesfacts.config.train import HOW_FIELDS, TrainConfig
from rulesfacts.errors import ConfigError, DataFileError
from rulesfacts.sweep.phases import PhaseThresholds

TOP_KEYS = ("name", "description", "base", "axes", "phases", "execution", "diagram")
AXIS_FORMS = ("linspace", "geomspace", "range", "values", "random")
RANDOM_KEYS = ("low", "high", "n", "seed", "log", "integer")
EXECUTORS = ("local", "ray")
CONFIG_FIELDS = tuple(f.name for f in fields(TrainConfig) if f.name != "extra")
# Free-form annotations and how a run is computed (HOW_FIELDS) do not enter a run's id. The device
# does: a checkpoint saved for one device is not resumed under another (the trainer refuses a
# config mismatch).
NOT_IN_RUN_ID = ("extra", *sorted(HOW_FIELDS))


@dataclass(frozen=True)
class ExecutionConfig(Config):
    """Where and how groups run. ``workers=0``: one per core, or 1 (in this process) for a sweep too
    small to repay starting workers; processes beat intra-op threads on these small models (see
    docs/sweeps.md). ``max_ensemble`` and ``max_memory_mb`` cap a group. On CUDA, ``workers=0``
    is one process per GPU, and a group holds as many runs as ``gpu_memory_fraction`` of a GPU
    does (estimated, ``executor.member_bytes``), up to ``gpu_max_ensemble``."""

    prefix = "execution."

    executor: str = param("local", Choice(EXECUTORS), "local: a process pool on this machine; ray: a Ray cluster.")
    workers: int = param(0, Int(0), "Parallel groups (0: one per core, or 1 for a small sweep).")
    threads: int = param(1, Int(1), "torch threads per worker.")
    max_ensemble: int = param(32, Int(1), "Most runs trained together as one batched ensemble.")
    max_memory_mb: int = param(2048, Int(1), "Estimated memory of one group at most, in MB (a larger group is split).")
    address: str = param("", Text(), "Ray cluster address (empty: start a local Ray instance).")
    gpu_max_ensemble: int = param(4096, Int(1), "On CUDA: most runs in one ensemble (max_ensemble and "
                                  "max_memory_mb are the CPU's caps; a GPU takes as many as its memory holds).")
    gpu_memory_fraction: float = param(0.5, Real(0.0, 1.0, lo_open=True), "On CUDA: share of one GPU's memory "
                                       "a group's estimated memory may take.")
    max_runs: int = param(100_000, Int(1), "Most grid points a spec may have (counted before expanding).")

    @property
    def n_workers(self) -> int:
        return self.workers or max(1, (os.cpu_count() or 1) // self.threads)




@dataclass(frozen=True)
class FieldName(Choice):
    """A TrainConfig field name; the old name of a renamed field reads as its new name, with a note."""

    def normalise(self, value: Any) -> Any:
        renamed = renamed_fields(TrainConfig)
        if isinstance(value, str) and value in renamed:
            warn_renamed(value, renamed[value])
            return renamed[value]
        return value


# "" lets the phase map choose among the swept axes
AXIS_NAME = FieldName(("", *CONFIG_FIELDS), describe='a TrainConfig field name, or ""')


@dataclass(frozen=True)
class DiagramConfig(Config):
    """Which axes a phase map puts on x, y and across panels ("" = every other swept axis)."""

    prefix = "diagram."

    x: str = param("train_frac", AXIS_NAME, "Swept field on the x axis of the phase maps.")
    y: str = param("fact_frac", AXIS_NAME, "Swept field on the y axis.")
    panel: str = param("", AXIS_NAME, 'Swept field with one panel per value ("": every other swept axis).')


@dataclass(frozen=True)
class Axis:
    name: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: ``raw`` keeps the TOML tables so the spec can be written back."""

    name: str
    base: dict[str, Any]
    axes: tuple[Axis, ...]
    phases: PhaseThresholds = field(default_factory=PhaseThresholds)
    execution: ExecutionConfig = field(default_factory=ExecutionConfig)
    diagram: DiagramConfig = field(default_factory=DiagramConfig)
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def n_runs(self) -> int:
        return math.prod(len(a.values) for a in self.axes)

    def axis_names(self) -> list[str]:
        return [a.name for a in self.axes]


# -- loading ----------------------------------------------------------------------------------
def preset_names() -> list[str]:
    return sorted(p.name[:-5] for p in _presets().iterdir() if p.name.endswith(".toml"))


def _presets():  # noqa: ANN202 - a Traversable
    """The shipped presets: package data of ``rulesfacts`` (presets/ has no __init__.py)."""
    return resources.files("rulesfacts").joinpath("presets")


def load_spec(source: str | Path, max_runs: int | None = None) -> SweepSpec:
    """A spec from a TOML file, or a shipped preset by name (``small``, ``paper-wd``); ``max_runs``
    replaces the spec's own bound on the grid size."""
    path = Path(source)
    if path.is_file():
        text, default_name = _read(path), path.stem
    elif str(source) in preset_names():
        text = _presets().joinpath(f"{source}.toml").read_text()
        default_name = str(source)
    elif path.suffix or len(path.parts) > 1:  # a file's name, spelled out in full in the message
        raise DataFileError(path, f"file not found (a sweep spec is a TOML file or a preset name: "
                                  f"{', '.join(preset_names())})")
    else:
        raise ConfigError("spec", str(source), f"a TOML file or a preset name ({', '.join(preset_names())})")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise DataFileError(source, f"not valid TOML ({e})") from None
    except RecursionError:
        raise DataFileError(source, "nested too deeply to be a sweep spec") from None
    data.setdefault("name", default_name)
    return parse_spec(data, max_runs)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise DataFileError(path, f"cannot read ({e.__class__.__name__})") from None


def parse_spec(data: dict[str, Any], max_runs: int | None = None) -> SweepSpec:
    """Validate every table of a spec dict (as TOML would give it) and build the ``SweepSpec``.
    ``max_runs`` (e.g. from ``--max-runs``) replaces ``[execution] max_runs``; the grid's size is
    checked against it before a single grid point is made."""
    unknown = sorted(set(data) - set(TOP_KEYS))
    if unknown:
        raise ConfigError(unknown[0], data[unknown[0]], f"unknown spec key; allowed: {', '.join(TOP_KEYS)}")
    data = {**data, **{t: _train_fields(f"{t}.", _table(data, t)) for t in ("base", "axes") if t in data}}
    if max_runs is not None:  # kept in the spec's tables, so overrides and spec.toml carry it
        data["execution"] = {**_table(data, "execution"), "max_runs": max_runs}
    name = check_name(data.get("name", "sweep"))
    execution = ExecutionConfig.from_dict(_table(data, "execution"))
    base = _table(data, "base")
    axes = tuple(parse_axis(k, v, execution.max_runs) for k, v in _table(data, "axes").items())
    n_runs = math.prod(len(a.values) for a in axes)
    if n_runs > execution.max_runs:
        sizes = " × ".join(f"{len(a.values)} {a.name}" for a in axes)
        raise ConfigError("grid", n_runs, f"at most max_runs={execution.max_runs} runs (this grid: {sizes}); "
                          "raise --max-runs or [execution] max_runs to allow more")
    phases = PhaseThresholds.from_dict(_table(data, "phases"))
    diagram = DiagramConfig.from_dict(_table(data, "diagram"))
    spec = SweepSpec(name, dict(base), axes, phases, execution, diagram, raw=data)
    for _ in iter_configs(spec):  # every grid point must be a valid TrainConfig: fail now, not mid-sweep
        pass
    return spec


NAME_RULE = "a folder name: not empty, no '/', '\\' or NUL, not starting with '.'"


def check_name(name: Any) -> str:
    """A spec's name names its default folder (sweeps/<name>): it must stay one folder inside
    sweeps/, so no separators, no '.' or '..', no hidden names, no NUL (the OS refuses those)."""
    if (not isinstance(name, str) or not name or name.startswith(".") or len(name) > 200
            or any(c in name for c in "/\\\0")):
        raise ConfigError("name", name, NAME_RULE)
    return name


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    v = data.get(key, {})
    if not isinstance(v, dict):
        raise ConfigError(key, v, "a TOML table")
    return v


def _train_fields(where: str, table: dict[str, Any]) -> dict[str, Any]:
    """``table`` with every key a current TrainConfig field name: renamed fields are accepted under
    their old names (with a note), an unknown key is an error that lists the fields."""
    out: dict[str, Any] = {}
    for k, v in table.items():
        name = resolve_key(TrainConfig, k, v, where=where)
        if name not in CONFIG_FIELDS:
            raise ConfigError(f"{where}{k}", v, "a TrainConfig field other than extra (notes of one run, not a sweep)")
        if name in out:
            raise ConfigError(f"{where}{k}", v, f"given twice, also as '{where}{name}'")
        out[name] = v
    return out


def parse_axis(name: str, spec: Any, max_values: int | None = None) -> Axis:
    """Turn one ``[axes]`` entry into its tuple of values, stored as the field stores them. An
    axis longer than ``max_values`` is refused before its values are made; a value that appears
    twice (``[0, 0.0]`` for a float field) is refused, since it would name one run twice."""
    if name not in CONFIG_FIELDS:
        raise ConfigError(f"axes.{name}", spec, "a TrainConfig field (see `rulesfacts train --help`)")
    if isinstance(spec, list):
        values = spec
    elif isinstance(spec, dict):
        if len(spec) != 1 or next(iter(spec)) not in AXIS_FORMS:
            raise ConfigError(f"axes.{name}", spec, f"a list or a table with one of {', '.join(AXIS_FORMS)}")
        form, arg = next(iter(spec.items()))
        values = _axis_values(f"axes.{name}.{form}", form, arg, max_values)
    else:
        values = [spec]
    if not values:
        raise ConfigError(f"axes.{name}", spec, "at least one value")
    _check_length(f"axes.{name}", len(values), max_values)
    constraint = declarations(TrainConfig)[name].constraint
    values = [constraint.normalise(_plain(v)) for v in values]
    seen: set[str] = set()
    for v in values:
        key = json.dumps(v, sort_keys=True, default=repr)
        if key in seen:
            raise ConfigError(f"axes.{name}", spec, f"distinct values ({v!r} appears twice, counting 0 and 0.0 "
                              "of a number field as one value): each would be the same run")
        seen.add(key)
    return Axis(name, tuple(values))


def _check_length(where: str, n: int, max_values: int | None) -> None:
    if max_values is not None and n > max_values:
        raise ConfigError(where, f"{n} values", f"at most max_runs={max_values} values; raise --max-runs or "
                          "[execution] max_runs to allow more")


def _axis_values(where: str, form: str, arg: Any, max_values: int | None = None) -> list[Any]:
    """The values of a table-form axis; the count is checked against ``max_values`` first."""
    if form == "values":
        if not isinstance(arg, list):
            raise ConfigError(where, arg, "a list of values")
        return arg
    if form in ("linspace", "geomspace"):
        if not (isinstance(arg, list) and len(arg) == 3 and all(_is_num(a) for a in arg)
                and isinstance(arg[2], int) and arg[2] >= 1):
            raise ConfigError(where, arg, "[low, high, n] with n a positive integer")
        if form == "geomspace" and (arg[0] <= 0 or arg[1] <= 0):
            raise ConfigError(where, arg, "positive low and high")
        _check_length(where, arg[2], max_values)
        fn = np.linspace if form == "linspace" else np.geomspace
        return [_round(v) for v in fn(arg[0], arg[1], arg[2])]
    if form == "range":
        args = [arg] if isinstance(arg, int) and not isinstance(arg, bool) else arg
        if not (isinstance(args, list) and 1 <= len(args) <= 3
                and all(isinstance(a, int) and not isinstance(a, bool) for a in args)):
            raise ConfigError(where, arg, "n, [start, stop] or [start, stop, step] (integers)")
        if len(args) == 3 and args[2] == 0:
            raise ConfigError(where, arg, "a non-zero step")
        values = range(*args)
        _check_length(where, len(values), max_values)
        return list(values)
    return _random_values(where, arg, max_values)


def _random_values(where: str, arg: Any, max_values: int | None = None) -> list[Any]:
    """Seeded draws, so the same spec always names the same runs."""
    if not isinstance(arg, dict):
        raise ConfigError(where, arg, f"a table with {', '.join(RANDOM_KEYS)}")
    for k in arg:
        if k not in RANDOM_KEYS:
            raise ConfigError(f"{where}.{k}", arg[k], f"one of {', '.join(RANDOM_KEYS)}")
    low, high, n = arg.get("low"), arg.get("high"), arg.get("n")
    seed, log, integer = arg.get("seed", 0), arg.get("log", False), arg.get("integer", False)
    if not (_is_num(low) and _is_num(high) and low < high):
        raise ConfigError(f"{where}.low", low, "numbers low < high")
    if not (isinstance(n, int) and not isinstance(n, bool) and n >= 1):
        raise ConfigError(f"{where}.n", n, "a positive integer")
    if not (isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0):
        raise ConfigError(f"{where}.seed", seed, "a non-negative integer")
    if not isinstance(log, bool) or not isinstance(integer, bool):
        raise ConfigError(f"{where}.log", log, "true or false (log and integer)")
    if log and low <= 0:
        raise ConfigError(f"{where}.low", low, "> 0 with log = true")
    _check_length(f"{where}.n", n, max_values)
    rng = np.random.default_rng(seed)
    u = rng.uniform(math.log(low), math.log(high), n) if log else rng.uniform(low, high, n)
    vals = np.exp(u) if log else u
    return [int(round(v)) for v in vals] if integer else [_round(v) for v in vals]


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _round(v: float) -> float:
    """linspace(0.1, 0.9, 9) gives 0.30000000000000004: keep the value a user would type."""
    return float(f"{float(v):.12g}")


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


# -- CLI overrides ------------------------------------------------------------------------------
def parse_value(text: str) -> Any:
    """A CLI value as TOML would read it (5 → int, 0.1 → float, true → bool), else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _split_assignment(flag: str, text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise ConfigError(flag, text, "FIELD=VALUE")
    return key.strip(), value.strip()


def with_overrides(spec: SweepSpec, sets: list[str] = (), axes: list[str] = (),
                   max_runs: int | None = None) -> SweepSpec:
    """Apply ``--set field=value`` (base fields) and ``--axis field=v1,v2`` / ``field={linspace=[..]}``.

    A --set on a swept field removes that axis (the value is then fixed); an --axis replaces
    an axis of the same name or appends a new one.
    """
    if not sets and not axes and max_runs is None:
        return spec
    data = json.loads(json.dumps(spec.raw))
    base, table = data.setdefault("base", {}), data.setdefault("axes", {})
    for s in sets:
        key, value = _split_assignment("--set", s)
        key = _current_name(key)
        base[key] = parse_value(value)
        table.pop(key, None)
    for a in axes:
        key, value = _split_assignment("--axis", a)
        key = _current_name(key)
        if value.startswith(("[", "{")):
            table[key] = parse_value(value)
        else:
            table[key] = [parse_value(v.strip()) for v in value.split(",") if v.strip()]
        base.pop(key, None)
    return parse_spec(data, max_runs)


def _current_name(key: str) -> str:
    """A renamed field's current name (with a note), so that --set and --axis replace the entry of
    the same field whichever name the spec file used; any other key is left for parse_spec."""
    new = renamed_fields(TrainConfig).get(key)
    if new is None:
        return key
    warn_renamed(key, new)
    return new


# -- expansion ----------------------------------------------------------------------------------
def iter_points(spec: SweepSpec) -> Iterator[dict[str, Any]]:
    """Every combination of axis values, in order (the last axis varies fastest), one at a time."""
    names = spec.axis_names()
    for combo in itertools.product(*(a.values for a in spec.axes)):
        yield dict(zip(names, combo, strict=True))


def grid_points(spec: SweepSpec) -> list[dict[str, Any]]:
    return list(iter_points(spec))


def iter_configs(spec: SweepSpec) -> Iterator[TrainConfig]:
    """The sweep's TrainConfigs, made one at a time; a bad value raises ``ConfigError`` naming the field."""
    for point in iter_points(spec):
        yield TrainConfig(**{**spec.base, **point})


def expand(spec: SweepSpec) -> list[TrainConfig]:
    return list(iter_configs(spec))


def run_id(cfg: TrainConfig) -> str:
    """A stable name for a config (a hash of its fields): a rerun finds the runs already done. A
    renamed field enters under its first name, so a rename does not make a sweep redo its runs."""
    first = first_names(TrainConfig)
    d = {first.get(k, k): v for k, v in cfg.to_dict().items() if k not in NOT_IN_RUN_ID}
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


# -- writing back -----------------------------------------------------------------------------------
def spec_to_toml(spec: SweepSpec) -> str:
    """The spec as TOML (the copy kept in SWEEP_DIR/spec.toml)."""
    raw = spec.raw
    lines = [f"{k} = {_toml(raw[k])}" for k in ("name", "description") if k in raw]
    for table in ("base", "axes", "phases", "execution", "diagram"):
        if raw.get(table):
            lines += ["", f"[{table}]"] + [f"{toml_key(k)} = {_toml(v)}" for k, v in raw[table].items()]
    return "\n".join(lines) + "\n"


def _toml(v: Any) -> str:
    """``v`` as TOML, for values a spec can hold (TOML has no null)."""
    def plain(x: Any) -> bool:
        if isinstance(x, (list, tuple)):
            return all(plain(y) for y in x)
        if isinstance(x, dict):
            return all(isinstance(k, str) and plain(y) for k, y in x.items())
        return isinstance(x, (bool, int, float, str))

    if not plain(v):
        raise ConfigError("spec", v, "TOML values (numbers, strings, booleans, lists, tables)")
    return literal(v)
