"""Declared configs (``rulesfacts.config``): one checker for every config class, one-line errors
naming the field for any wrong value, old names of renamed fields accepted with a note.

The per-field checks are parametrised over every config class of the package and every field,
read off the declarations: a new config or field is tested without a line here."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import warnings
from dataclasses import dataclass, fields
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rulesfacts
from rulesfacts.config import (
    Choice,
    Config,
    Constraint,
    Flag,
    Int,
    Many,
    Maybe,
    Pair,
    PlainData,
    Real,
    RenamedField,
    Text,
    check,
    declaration,
    declarations,
    default_of,
    fields_markdown,
    first_names,
    how_fields,
    member_fields,
    param,
    renamed_fields,
    resolve_key,
    saved_names,
)
from rulesfacts.errors import ConfigError
from tests.config_helpers import invalid, valid

NOT_YET_DECLARED: set[str] = set()


def _all_modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(rulesfacts.__path__, "rulesfacts.")]


def _config_classes() -> list[type]:
    for name in _all_modules():
        importlib.import_module(name)
    found, todo = [], list(Config.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return sorted((c for c in found if c.__module__.startswith("rulesfacts.")), key=lambda c: c.__qualname__)


CONFIGS = _config_classes()
CASES = [pytest.param(cls, f.name, id=f"{cls.__name__}.{f.name}") for cls in CONFIGS for f in fields(cls)]


def test_every_config_class_is_declared():
    """A frozen dataclass that validates itself (has __post_init__) must do it through the one
    checker: a hand-written validator would drift from the CLI, the docs and the tests."""
    assert len(CONFIGS) >= 10
    stray = []
    for name in _all_modules():
        for obj in vars(importlib.import_module(name)).values():
            if (isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == name
                    and "__post_init__" in vars(obj) and not issubclass(obj, (Config, Constraint))
                    and obj.__name__ not in NOT_YET_DECLARED):
                stray.append(f"{name}.{obj.__name__}")
    assert stray == [], f"validate these with rulesfacts.config.Config: {stray}"


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda c: c.__name__)
def test_defaults_construct_and_round_trip(cls):
    cfg = cls()
    assert cls.from_dict(cfg.to_dict()) == cfg
    assert cfg.replace() == cfg and declarations(cls).keys() == {f.name for f in fields(cls)}
    assert cls.__dataclass_params__.frozen


@pytest.mark.parametrize(("cls", "name"), CASES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_wrong_value_is_one_line_naming_the_field(cls, name, data):
    """Whatever the field and however wrong the value (a string for a number, True for a
    fraction, NaN, a list for a name), the error is the one-line ConfigError naming it."""
    c = declaration(cls.__dataclass_fields__[name]).constraint
    bad = data.draw(invalid(c), label="bad")
    with pytest.raises(ConfigError) as info:
        cls(**{name: bad})
    assert info.value.field == f"{cls.prefix}{name}"
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(f"{cls.prefix}{name}=") and "is not allowed: " in msg


@pytest.mark.parametrize(("cls", "name"), CASES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_allowed_value_passes_its_field_check(cls, name, data):
    """Allowed values (NumPy scalars and lists for tuples included) are accepted and stored as
    plain Python values; only a rule between fields may still refuse them."""
    c = declaration(cls.__dataclass_fields__[name]).constraint
    good = data.draw(valid(c), label="good")
    with mock.patch.object(cls, "check_together", lambda self: None):
        cfg = cls(**{name: good})
    stored = getattr(cfg, name)
    assert not isinstance(stored, (np.generic, list))
    if isinstance(stored, tuple):
        assert not any(isinstance(v, (np.generic, list)) for v in stored)


@pytest.mark.parametrize(("cls", "value", "field"), [
    ("rulesfacts.theory.config:RAFPoint", {"alpha": "2"}, "alpha"),
    ("rulesfacts.theory.config:RAFPoint", {"fact_frac": True}, "fact_frac"),
    ("rulesfacts.config.train:TrainConfig", {"p": 2.5}, "p"),
    ("rulesfacts.config.train:TrainConfig", {"bias": "yes"}, "bias"),
    ("rulesfacts.sweep.spec:ExecutionConfig", {"workers": "4"}, "execution.workers"),
    ("rulesfacts.report.theory_report:TheorySpec", {"lam": [0.1, "x"]}, "theory.lam"),
])
def test_wrong_types_that_used_to_slip_through_or_crash(cls, value, field):
    module, name = cls.split(":")
    with pytest.raises(ConfigError) as info:
        getattr(importlib.import_module(module), name)(**value)
    assert info.value.field == field and "\n" not in str(info.value)


# -- the constraints ------------------------------------------------------------------------------
@pytest.mark.parametrize(("constraint", "words"), [
    (Int(2, 1000), "an integer from 2 to 1000"),
    (Int(0), "an integer ≥ 0"),
    (Real(0.0, lo_open=True), "a number > 0"),
    (Real(0.0, 1.0, hi_open=True), "a number ≥ 0 and < 1"),
    (Real(), "a finite number"),
    (Choice(("a", "b")), "one of a, b"),
    (Flag(), "true or false"),
    (Maybe(Int(0, 5), "the seed"), "an integer from 0 to 5, or None (the seed)"),
    (Pair(Real(0.0, 1.0, hi_open=True)), "two numbers, each ≥ 0 and < 1"),
    (Many(Choice(("low", "high"))), "one or more of low, high"),
    (Many(Real(0.0), scalar=True), "a number ≥ 0, or a list of one or more numbers, each ≥ 0"),
    (Text(nonempty=True), "non-empty text"),
])
def test_constraints_say_in_words_what_is_allowed(constraint, words):
    assert constraint.words() == words


def test_numbers_are_not_booleans_and_integers_are_numbers():
    assert Real(0.0).allows(5) and not Real(0.0).allows(True) and not Int(0).allows(False)
    assert not Int(0).allows(7.0) and not Real().allows(float("nan")) and not Real().allows("1")
    assert Pair(Int()).normalise([np.int64(1), 2]) == (1, 2)
    assert type(Pair(Int()).normalise([np.int64(1), 2])[0]) is int
    assert Many(Real(), scalar=True).normalise(0.5) == (0.5,)


def test_sql_types_and_values_follow_the_constraint():
    assert [c.sql_type for c in (Int(), Real(), Flag(), Choice(("a",)), Maybe(Real()), Pair(Real()), PlainData())] \
        == ["INTEGER", "REAL", "INTEGER", "TEXT", "REAL", "TEXT", "TEXT"]
    assert Pair(Real()).sql_value((0.9, 0.98)) == "[0.9, 0.98]"
    assert PlainData().sql_value({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'


def test_a_default_outside_its_own_constraint_fails_at_import():
    with pytest.raises(ValueError, match="not allowed by its own constraint"):
        param(0, Int(1), "Width.")


# -- a small config ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Toy(Config):
    prefix = "toy."

    width: int = param(8, Int(1, 64), "Hidden units.", deprecated=("size", "n_hidden"))
    rate: float = param(0.1, Real(0.0, lo_open=True), "Step size.", member=True)
    fast: bool = param(False, Flag(), "Go fast.", how=True)
    kind: str = param("a", Choice(("a", "b")), "Which one.")
    betas: tuple[float, float] = param((0.5, 0.5), Pair(Real(0.0, 1.0)), "Two numbers.")
    notes: dict = param({}, PlainData(), "Free notes.", cli=False, compare=False)

    def check_together(self) -> None:
        if self.kind == "b" and self.width > 8:
            raise self.reject("width", "≤ 8 for kind=b")


def test_checker_normalises_then_checks_fields_then_rules_between_them():
    t = Toy(width=np.int64(16), betas=[0.1, np.float64(0.2)])
    assert type(t.width) is int and t.betas == (0.1, 0.2) and type(t.betas[1]) is float
    with pytest.raises(ConfigError, match=r"^toy\.width=16 is not allowed: ≤ 8 for kind=b$"):
        Toy(width=16, kind="b")
    with pytest.raises(ConfigError, match=r"^toy\.kind='c' is not allowed: one of a, b$"):
        Toy(width=16, kind="c")  # the field's own check comes first


def test_member_and_how_fields_are_read_off_the_declarations():
    assert member_fields(Toy) == {"rate"} and how_fields(Toy) == {"fast"}
    assert Toy(fast=True) == Toy() and Toy(notes={"a": 1}) == Toy()  # not part of what a config is
    assert hash(Toy(fast=True)) == hash(Toy())
    assert Toy().notes is not Toy().notes  # a table default is copied per instance


def test_to_dict_from_dict_replace():
    t = Toy(width=4, betas=(0.1, 0.2))
    d = t.to_dict()
    assert d == {"width": 4, "rate": 0.1, "fast": False, "kind": "a", "betas": [0.1, 0.2], "notes": {}}
    assert Toy.from_dict(d) == t
    with pytest.raises(ConfigError, match=r"^toy\.width=0 is not allowed"):
        t.replace(width=0)


def test_unknown_key_names_it_suggests_and_lists_the_fields():
    with pytest.raises(ConfigError) as info:
        Toy.from_dict({"widht": 4})
    assert info.value.field == "toy.widht"
    assert ("unknown field (did you mean 'width'?); known fields: betas, fast, kind, notes, rate, width"
            in str(info.value))


def test_old_names_are_accepted_with_one_note():
    assert renamed_fields(Toy) == {"size": "width", "n_hidden": "width"} and first_names(Toy) == {"width": "size"}
    with pytest.warns(RenamedField, match=r"^'toy\.size' is deprecated, use 'toy\.width'$") as record:
        assert Toy.from_dict({"size": 4}).width == 4
    assert len(record) == 1 and issubclass(RenamedField, DeprecationWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RenamedField)
        with pytest.raises(ConfigError, match="given twice, also as 'toy.width'"):
            Toy.from_dict({"size": 4, "width": 4})
        assert resolve_key(Toy, "n_hidden", 3) == "width"


@dataclass(frozen=True)
class Moved(Config):
    """``step`` was once the name of ``rate``; it is now an alias of ``size``."""

    size: int = param(1, Int(1), "A size.", deprecated=("step",))
    rate: float = param(0.1, Real(0.0), "A rate.", retired=("step",))


def test_a_retired_name_is_input_for_its_new_field_and_read_from_saved_files_for_its_old_one():
    assert renamed_fields(Moved) == {"step": "size"} and saved_names(Moved) == {"step": "rate"}
    assert first_names(Moved) == {"size": "step", "rate": "step"}
    with pytest.warns(RenamedField, match=r"^'step' is deprecated, use 'size'$"):
        assert Moved.from_dict({"step": 3}) == Moved(size=3)
    with pytest.warns(RenamedField, match=r"^'step' is deprecated, use 'rate'$"):
        assert Moved.from_saved({"size": 2, "step": 0.5}) == Moved(size=2, rate=0.5)
    with pytest.warns(RenamedField, match=r"^'step' is deprecated, use 'size'$"):  # rate given: step is the alias
        assert Moved.from_saved({"rate": 0.5, "step": 2}) == Moved(size=2, rate=0.5)
    assert "Formerly `step` (read so from the files written then" in fields_markdown(Moved)


def test_check_needs_declarations():
    @dataclass(frozen=True)
    class Bare:
        x: int = 1

    with pytest.raises(TypeError, match="not declared"):
        check(Bare())


def test_fields_markdown_has_one_row_per_field():
    md = fields_markdown(Toy)
    rows = md.strip().splitlines()
    assert rows[0] == "| Field | Type | Default | Allowed | Meaning |" and len(rows) == 2 + len(fields(Toy))
    assert "| `width` | integer | `8` | an integer from 1 to 64 | Hidden units. Formerly `size`" in md
    assert "| `betas` | pair | `[0.5, 0.5]` | two numbers, each ≥ 0 and ≤ 1 | Two numbers. |" in md
    assert default_of(Toy.__dataclass_fields__["notes"]) == {}
