"""Configs declared as data: each field states its default, the values it allows and what it means.

A config is a frozen dataclass deriving from ``Config`` whose fields are made with
``param(default, constraint, help)``. The constraint (``Choice``, ``Int``, ``Real``, ``Flag``,
``Text``, ``Maybe``, ``Pair``, ``Many``, ``PlainData``) is plain data, so nothing about a field is
typed twice: the one checker (``check``), the CLI flags (``cli.common.config_options``), the
results-table columns (``sweep.store``), the docs tables (``fields_markdown``, docs/config.md) and
the property tests' strategies are all read off the declarations. Constraints as data checked by
one function is the style of scikit-learn's ``_parameter_constraints``.

The checker's error is the project's one-line ``ConfigError(field, value, allowed)``, whatever the
config and however wrong the value (a string for a number, ``True`` for a fraction, a NumPy
scalar, a list for a pair): a field check never raises anything else.

Renaming a field keeps old files and commands working: ``param(..., deprecated=("old",))``
makes ``from_dict`` (TOML tables, config.json) and the CLI (a hidden ``--old`` flag) accept the
old name and warn with ``RenamedField``, a ``DeprecationWarning`` that the CLI prints as the one
line ``note: 'old' is deprecated, use 'new'``. An old name that now means something else (``eps``,
once Adam's ε, now the fact fraction ε as in ``rulesfacts theory``) is ``retired=("old",)``: input
reads it as its new meaning, and only ``from_saved`` (config.json, checkpoints: files rulesfacts
wrote) and the sweep tables read it as the field that had it.

This module is at the bottom of the package (it imports only ``rulesfacts.errors``, the standard
library and NumPy), so that every layer can declare its configs with it: the task modules declare
their own fields here, and ``config.train`` composes them into ``TrainConfig``.
``rulesfacts.config`` re-exports every name.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import functools
import json
import math
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Self

import numpy as np

from rulesfacts.errors import ConfigError

METADATA_KEY = "rulesfacts"


# -- constraints --------------------------------------------------------------------------------
class Constraint:
    """What one field allows. Subclasses are frozen dataclasses, so a declaration can be compared,
    printed, and turned into a CLI type, an SQL column or a test strategy by whoever needs one."""

    sql_type: ClassVar[str] = "TEXT"  # the column type in a sweep's results table
    kind: ClassVar[str] = "value"  # the "Type" column of the docs

    def allows(self, value: Any) -> bool:
        raise NotImplementedError

    def words(self) -> str:
        """What is allowed, as the end of 'x=... is not allowed: <words>'."""
        raise NotImplementedError

    def each(self) -> str:
        """The plural form, for a sequence of such values ("two numbers, each ≥ 0 and < 1")."""
        return f"values, each {self.words()}"

    def normalise(self, value: Any) -> Any:
        """The value as stored: NumPy scalars (a config built from a pandas row) become Python
        numbers, so configs compare, hash and serialise as if typed by hand."""
        return _python_scalar(value)

    def python_type(self) -> Any:
        """The Python type of a CLI flag for this field; None when it has no flag form."""
        return None

    def choices(self) -> tuple[str, ...]:
        return ()

    def sql_value(self, value: Any) -> Any:
        return value


@dataclass(frozen=True)
class Choice(Constraint):
    """One of a few names. ``describe`` replaces the listing when the list is long."""

    values: tuple[str, ...]
    describe: str = ""
    kind: ClassVar[str] = "choice"

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))
        if not self.values or not all(isinstance(v, str) for v in self.values):
            raise TypeError(f"Choice needs one or more names, got {self.values!r}")

    def allows(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.values

    def words(self) -> str:
        return self.describe or f"one of {', '.join(self.values)}"

    def each(self) -> str:
        return f"values, each {self.describe}" if self.describe else f"of {', '.join(self.values)}"

    def python_type(self) -> Any:
        return str

    def choices(self) -> tuple[str, ...]:
        return self.values


@dataclass(frozen=True)
class Int(Constraint):
    """An integer in [lo, hi] (either bound may be None). ``True`` is not an integer here."""

    lo: int | None = None
    hi: int | None = None
    sql_type: ClassVar[str] = "INTEGER"
    kind: ClassVar[str] = "integer"

    def allows(self, value: Any) -> bool:
        return (_is_int(value) and (self.lo is None or value >= self.lo)
                and (self.hi is None or value <= self.hi))

    def _bounds(self) -> str:
        if self.lo is not None and self.hi is not None:
            return f"from {self.lo} to {self.hi}"
        if self.lo is not None:
            return f"≥ {self.lo}"
        return f"≤ {self.hi}" if self.hi is not None else ""

    def words(self) -> str:
        return f"an integer {self._bounds()}".rstrip()

    def each(self) -> str:
        return f"integers, each {self._bounds()}" if self._bounds() else "integers"

    def python_type(self) -> Any:
        return int


@dataclass(frozen=True)
class Real(Constraint):
    """A finite number between optional bounds, each closed unless ``*_open``. Integers count as
    numbers (a TOML ``wd = 5`` is fine); booleans do not."""

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    sql_type: ClassVar[str] = "REAL"
    kind: ClassVar[str] = "number"

    def normalise(self, value: Any) -> Any:
        """Integers are stored as floats (``wd = 0`` and ``wd = 0.0`` are one config, with one sweep
        run id); an integer too large for a float stays as given, and ``allows`` refuses it."""
        value = _python_scalar(value)
        if _is_number(value) and isinstance(value, int):
            try:
                return float(value)
            except OverflowError:
                return value
        return value

    def allows(self, value: Any) -> bool:
        if not _is_number(value) or abs(value) > sys.float_info.max or not math.isfinite(value):
            return False
        if self.lo is not None and (value <= self.lo if self.lo_open else value < self.lo):
            return False
        return self.hi is None or (value < self.hi if self.hi_open else value <= self.hi)

    def _bounds(self) -> str:
        parts = ([f"{'>' if self.lo_open else '≥'} {self.lo:g}"] if self.lo is not None else []) + \
                ([f"{'<' if self.hi_open else '≤'} {self.hi:g}"] if self.hi is not None else [])
        return " and ".join(parts)

    def words(self) -> str:
        return f"a number {self._bounds()}" if self._bounds() else "a finite number"

    def each(self) -> str:
        return f"numbers, each {self._bounds()}" if self._bounds() else "finite numbers"

    def python_type(self) -> Any:
        return float


@dataclass(frozen=True)
class Flag(Constraint):
    """True or false (not 0/1, not "yes"): a typo in a TOML file should not switch a feature on."""

    sql_type: ClassVar[str] = "INTEGER"
    kind: ClassVar[str] = "boolean"

    def allows(self, value: Any) -> bool:
        return isinstance(value, bool)

    def words(self) -> str:
        return "true or false"

    def each(self) -> str:
        return "true/false values"

    def python_type(self) -> Any:
        return bool


@dataclass(frozen=True)
class Text(Constraint):
    """Free text (a name, an address); ``nonempty`` refuses ""."""

    nonempty: bool = False
    kind: ClassVar[str] = "text"

    def allows(self, value: Any) -> bool:
        return isinstance(value, str) and (bool(value) or not self.nonempty)

    def words(self) -> str:
        return "non-empty text" if self.nonempty else "text"

    def each(self) -> str:
        return "non-empty texts" if self.nonempty else "texts"

    def python_type(self) -> Any:
        return str


@dataclass(frozen=True)
class Maybe(Constraint):
    """``inner`` or None; ``none_means`` says what None stands for ("the value of seed")."""

    inner: Constraint
    none_means: str = ""

    def allows(self, value: Any) -> bool:
        return value is None or self.inner.allows(value)

    def words(self) -> str:
        return f"{self.inner.words()}, or None" + (f" ({self.none_means})" if self.none_means else "")

    def normalise(self, value: Any) -> Any:
        return None if value is None else self.inner.normalise(value)

    def python_type(self) -> Any:
        return self.inner.python_type()

    def choices(self) -> tuple[str, ...]:
        return self.inner.choices()

    def sql_value(self, value: Any) -> Any:
        return None if value is None else self.inner.sql_value(value)

    @property
    def sql_type(self) -> str:  # type: ignore[override]
        return self.inner.sql_type

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.inner.kind


@dataclass(frozen=True)
class Pair(Constraint):
    """Two values of ``inner`` (Adam's betas), stored as a tuple; a list (TOML, JSON) is accepted."""

    inner: Constraint
    kind: ClassVar[str] = "pair"

    def allows(self, value: Any) -> bool:
        return isinstance(value, tuple) and len(value) == 2 and all(self.inner.allows(v) for v in value)

    def words(self) -> str:
        return f"two {self.inner.each()}"

    def normalise(self, value: Any) -> Any:
        return _tuple_of(self.inner, value)

    def python_type(self) -> Any:
        t = self.inner.python_type()
        return None if t is None else tuple[t, t]

    def sql_value(self, value: Any) -> Any:
        return json.dumps(list(value))


@dataclass(frozen=True)
class Many(Constraint):
    """A tuple of at least ``min_len`` values of ``inner``; a list is accepted, and with
    ``scalar=True`` so is one bare value (``eps = 0.2`` for ``eps = [0.2]``)."""

    inner: Constraint
    min_len: int = 1
    scalar: bool = False
    kind: ClassVar[str] = "list"

    def allows(self, value: Any) -> bool:
        return isinstance(value, tuple) and len(value) >= self.min_len and all(self.inner.allows(v) for v in value)

    def words(self) -> str:
        count = {0: "any number of", 1: "one or more"}.get(self.min_len, f"{self.min_len} or more")
        listed = f"{count} {self.inner.each()}"
        return f"{self.inner.words()}, or a list of {listed}" if self.scalar else listed

    def normalise(self, value: Any) -> Any:
        if self.scalar and not isinstance(value, (list, tuple)):
            return (self.inner.normalise(value),)
        return _tuple_of(self.inner, value)

    def sql_value(self, value: Any) -> Any:
        return json.dumps(list(value))


@dataclass(frozen=True)
class PlainData(Constraint):
    """A table of plain data (text, numbers, lists, tables): it is written to config.json and
    checkpoints, so it must be JSON without NaN."""

    kind: ClassVar[str] = "table"

    def allows(self, value: Any) -> bool:
        if not isinstance(value, dict):
            return False
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            return False
        return True

    def words(self) -> str:
        return "a table of plain data (text, numbers, lists, tables)"

    def normalise(self, value: Any) -> Any:
        return value

    def sql_value(self, value: Any) -> Any:
        return json.dumps(value, sort_keys=True)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _python_scalar(v: Any) -> Any:
    if isinstance(v, (np.integer, np.floating, np.bool_)):
        return v.item()
    return v


def _tuple_of(inner: Constraint, value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(inner.normalise(v) for v in value)
    return value


# -- declarations ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Declaration:
    """Everything said about one field besides its name and default (kept in the field's metadata).

    member: may differ between the members of one batched ensemble (seeds, regularisation);
    how: says how a run is computed, not what (runs that differ only there are the same run);
    cli: the field has a flag where its config has a command;
    deprecated: earlier names, oldest first, still accepted with a note;
    retired: earlier names no longer accepted as input (another field's alias now), still read
    from the files an earlier rulesfacts wrote; older than the deprecated ones.
    """

    constraint: Constraint
    help: str
    member: bool = False
    how: bool = False
    cli: bool = True
    deprecated: tuple[str, ...] = ()
    retired: tuple[str, ...] = ()


def param(default: Any, constraint: Constraint, help: str, *, member: bool = False, how: bool = False,
          cli: bool = True, deprecated: tuple[str, ...] = (), retired: tuple[str, ...] = (),
          compare: bool = True) -> Any:
    """A dataclass field with its declaration. A ``how`` field does not take part in equality
    (nor does one with ``compare=False``, e.g. free-form notes); a table default is copied per
    instance. The default must satisfy its own constraint (checked here, at import)."""
    if not constraint.allows(constraint.normalise(default)):
        raise ValueError(f"default {default!r} is not allowed by its own constraint: {constraint.words()}")
    meta = {METADATA_KEY: Declaration(constraint, help, member, how, cli, tuple(deprecated), tuple(retired))}
    compare = compare and not how
    hash_ = False if isinstance(constraint, PlainData) else None  # a dict cannot be hashed
    if isinstance(default, (dict, list)):
        return dataclasses.field(default_factory=functools.partial(copy.deepcopy, default), compare=compare,
                                 hash=hash_, metadata=meta)
    return dataclasses.field(default=default, compare=compare, hash=hash_, metadata=meta)


def declaration(f: dataclasses.Field) -> Declaration:
    decl = f.metadata.get(METADATA_KEY)
    if decl is None:
        raise TypeError(f"field {f.name!r} is not declared with rulesfacts.config.param()")
    return decl


def declarations(cls: Any) -> dict[str, Declaration]:
    """Field name → declaration, in field order (``cls``: a config class or instance)."""
    return {f.name: declaration(f) for f in fields(cls)}


def default_of(f: dataclasses.Field) -> Any:
    return f.default_factory() if f.default is dataclasses.MISSING else f.default


def member_fields(cls: Any) -> frozenset[str]:
    return frozenset(n for n, d in declarations(cls).items() if d.member)


def how_fields(cls: Any) -> frozenset[str]:
    return frozenset(n for n, d in declarations(cls).items() if d.how)


def renamed_fields(cls: Any) -> dict[str, str]:
    """Old name → current name, for every deprecated name of ``cls``."""
    return {old: n for n, d in declarations(cls).items() for old in d.deprecated}


def saved_names(cls: Any) -> dict[str, str]:
    """Old name → current name as the files of an earlier rulesfacts use them (config.json,
    checkpoints, sweep tables): the deprecated names and the retired ones, a retired name meaning
    the field that had it, not the field whose alias it is now."""
    return renamed_fields(cls) | {old: n for n, d in declarations(cls).items() for old in d.retired}


def first_names(cls: Any) -> dict[str, str]:
    """Current name → the name the field had first (its oldest retired or deprecated name), for
    renamed fields: what identifies a field where a rename must change nothing, e.g. the hash that
    names a sweep's runs."""
    return {n: (*d.retired, *d.deprecated)[0] for n, d in declarations(cls).items() if d.retired or d.deprecated}


# -- renamed fields -----------------------------------------------------------------------------
class RenamedField(DeprecationWarning):
    """A field was given by an old name. The CLI prints it as one line ``note: <message>``; Python
    shows it like any ``DeprecationWarning`` raised from the caller's code."""


def warn_renamed(old: str, new: str, stacklevel: int = 2) -> None:
    warnings.warn(RenamedField(f"'{old}' is deprecated, use '{new}'"), stacklevel=stacklevel + 1)


def resolve_key(cls: Any, key: str, value: Any, where: str | None = None) -> str:
    """The field that ``key`` names: the key itself, or the current name of an old one (with a
    note); an unknown key is a ``ConfigError`` that lists the known fields. ``where`` is the
    prefix of the key in messages (default: the config's ``prefix``)."""
    where = getattr(cls, "prefix", "") if where is None else where
    names = [f.name for f in fields(cls)]
    if key in names:
        return key
    renamed = renamed_fields(cls)
    if key in renamed:
        warn_renamed(f"{where}{key}", f"{where}{renamed[key]}", stacklevel=3)
        return renamed[key]
    close = difflib.get_close_matches(str(key), names, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise ConfigError(f"{where}{key}", value, f"unknown field{hint}; known fields: {', '.join(sorted(names))}")


# -- the checker ----------------------------------------------------------------------------------
def check(cfg: Any) -> None:
    """Normalise and check every field of ``cfg`` against its constraint, in field order, then the
    rules between fields (``cfg.check_together()``). The first bad value raises
    ``ConfigError(prefix + field, value, what is allowed)``: one line, whatever the value."""
    prefix = getattr(cfg, "prefix", "")
    for f in fields(cfg):
        constraint = declaration(f).constraint
        raw = getattr(cfg, f.name)
        value = constraint.normalise(raw)
        if value is not raw:
            object.__setattr__(cfg, f.name, value)
        if not constraint.allows(value):
            raise ConfigError(f"{prefix}{f.name}", value, constraint.words())
    cfg.check_together()


class Config:
    """Base of a declared config: ``@dataclass(frozen=True) class X(Config)`` with ``param`` fields.

    Construction runs the one checker; rules that tie fields together go in ``check_together``.
    A config read from a table of a file sets ``prefix`` (e.g. ``"execution."``) so that errors
    name the key as the user wrote it.
    """

    prefix = ""

    def __post_init__(self) -> None:
        check(self)

    def check_together(self) -> None:
        """Rules between fields, run after every field passed its own constraint (so the values
        here have the right types); raise ``self.reject(...)`` on the first broken one."""

    def reject(self, name: str, allowed: str, value: Any = dataclasses.MISSING) -> ConfigError:
        """The error for field ``name`` (with the prefix); raise it."""
        return ConfigError(f"{self.prefix}{name}", getattr(self, name) if value is dataclasses.MISSING else value,
                           allowed)

    def replace(self, **changes: Any) -> Self:
        """A copy with ``changes`` (checked like any new config)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (tuples as lists, tables copied): what config.json and TOML hold."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Self:
        """The config of a table (TOML, JSON): unknown keys are an error naming the key, old names
        of renamed fields are accepted with a note."""
        if not isinstance(d, Mapping):
            raise ConfigError(cls.prefix.rstrip(".") or cls.__name__, d, "a table of fields")
        renamed = renamed_fields(cls)
        known = {f.name for f in fields(cls)} | set(renamed)
        unknown = sorted((k for k in d if k not in known), key=str)
        if unknown:
            resolve_key(cls, unknown[0], d[unknown[0]])  # raises, naming the first unknown key
        values: dict[str, Any] = {}
        for key in sorted(d, key=lambda k: k in renamed):  # current names first
            name = resolve_key(cls, key, d[key])
            if name in values:
                raise ConfigError(f"{cls.prefix}{key}", d[key], f"given twice, also as '{cls.prefix}{name}'")
            values[name] = d[key]
        return cls(**values)

    @classmethod
    def from_saved(cls, d: Mapping[str, Any]) -> Self:
        """The config of a table rulesfacts wrote (config.json, a checkpoint), perhaps before a
        rename: as ``from_dict``, and a retired name (``retired=``) where the current name of its
        field is absent reads as that field, with a note."""
        if isinstance(d, Mapping):
            retired = {old: n for n, decl in declarations(cls).items() for old in decl.retired}
            back = {k: retired[k] for k in d if k in retired and retired[k] not in d}
            for old, new in back.items():
                warn_renamed(f"{cls.prefix}{old}", f"{cls.prefix}{new}")
            d = {back.get(k, k): v for k, v in d.items()}
        return cls.from_dict(d)


def _plain(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


# -- documentation ------------------------------------------------------------------------------
def literal(value: Any) -> str:
    """A value as a TOML file would spell it (defaults in the docs, spec.toml; None as "none")."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def toml_key(key: str) -> str:
    """A table key as TOML spells it: bare when it can be, else quoted."""
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def describe_fields(cls: Any) -> list[dict[str, Any]]:
    """One plain record per field: what ``rulesfacts fields --json`` prints and the docs tabulate."""
    out = []
    for f in fields(cls):
        d = declaration(f)
        out.append({"name": f.name, "type": d.constraint.kind, "default": _plain(default_of(f)),
                    "allowed": d.constraint.words(), "help": d.help, "member": d.member, "how": d.how,
                    "cli": d.cli, "deprecated": list(d.deprecated), "retired": list(d.retired),
                    "sql_type": d.constraint.sql_type})
    return out


def fields_markdown(cls: Any) -> str:
    """A Markdown table of the fields of ``cls``: name, type, default, allowed values, meaning."""
    rows = ["| Field | Type | Default | Allowed | Meaning |", "|---|---|---|---|---|"]
    for r in describe_fields(cls):
        meaning = r["help"] + "".join(f" Formerly `{old}` (still accepted, with a note)." for old in r["deprecated"]) \
            + "".join(f" Formerly `{old}` (read so from the files written then; now another field's name)."
                      for old in r["retired"])
        cells = [f"`{r['name']}`", r["type"], f"`{literal(r['default'])}`", r["allowed"], meaning]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows) + "\n"
