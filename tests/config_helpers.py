"""Test helpers for declared configs: Hypothesis strategies read off a field's constraint (values
it must accept and values it must refuse), generic over the constraint classes of
``rulesfacts.config`` so that a new field is covered without a line here; and ``renamed``, which
gives a real field an old name for the length of a test."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import types
from collections.abc import Iterator

import numpy as np
from hypothesis import strategies as st

from rulesfacts.config import (
    METADATA_KEY,
    Choice,
    Constraint,
    Flag,
    Int,
    Many,
    Maybe,
    Pair,
    PlainData,
    Real,
    Text,
    declaration,
)

# Wrong for every constraint here except the ones that take them (filtered per constraint).
JUNK = st.sampled_from([None, "7", "", b"1", [1], {"a": 1}, object(), float("nan"), float("inf"), -float("inf"),
                        True, False, 1.5, -3, 2**70, np.float64("nan"), np.bool_(True)])
SMALL_SPAN = 20  # how far above its lower bound a "small" valid number goes


def valid(c: Constraint, small: bool = False) -> st.SearchStrategy:
    """Values ``c`` accepts. ``small``: integers and unbounded numbers near their lower bound, so
    that a config drawn from them trains in milliseconds."""
    if isinstance(c, Choice):
        return st.sampled_from(c.values)
    if isinstance(c, Int):
        lo = c.lo if c.lo is not None else -1000
        hi = c.hi if c.hi is not None else lo + 10**6
        if small:
            hi = min(hi, lo + SMALL_SPAN)
        ints = st.integers(lo, hi)
        return st.one_of(ints, ints.filter(lambda v: -2**63 <= v < 2**63).map(np.int64))
    if isinstance(c, Real):
        hi = c.hi
        if small and (hi is None or hi - (c.lo or 0.0) > SMALL_SPAN / 10):
            hi, hi_open = (c.lo or 0.0) + SMALL_SPAN / 10, False
        else:
            hi_open = c.hi_open
        floats = st.floats(c.lo, hi, exclude_min=c.lo is not None and c.lo_open, exclude_max=hi is not None and hi_open,
                           allow_nan=False, allow_infinity=False)
        return st.one_of(floats, floats.map(np.float64), _whole_numbers(c, hi, hi_open))
    if isinstance(c, Flag):
        return st.one_of(st.booleans(), st.booleans().map(np.bool_))
    if isinstance(c, Text):
        return st.text(min_size=1 if c.nonempty else 0, max_size=12)
    if isinstance(c, Maybe):
        return st.one_of(st.none(), valid(c.inner, small))
    if isinstance(c, Pair):
        pair = st.tuples(valid(c.inner, small), valid(c.inner, small))
        return st.one_of(pair, pair.map(list))
    if isinstance(c, Many):
        items = st.lists(valid(c.inner, small), min_size=c.min_len, max_size=c.min_len + 3)
        return st.one_of(items, items.map(tuple), valid(c.inner, small) if c.scalar else st.nothing())
    if isinstance(c, PlainData):
        leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                         st.text(max_size=8))
        data = st.recursive(leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5),
                                                                                              inner, max_size=3),
                            max_leaves=8)
        return st.dictionaries(st.text(max_size=8), data, max_size=4)
    raise TypeError(f"no strategy for {c!r}")


def _whole_numbers(c: Real, hi: float | None, hi_open: bool) -> st.SearchStrategy:
    """Python ints inside the range (a TOML ``wd = 5``): numbers, not only floats."""
    lo = -1000 if c.lo is None else math.floor(c.lo) + 1 if c.lo_open or c.lo != math.floor(c.lo) else int(c.lo)
    top = lo + 1000 if hi is None else math.ceil(hi) - 1 if hi_open or hi != math.ceil(hi) else int(hi)
    return st.integers(lo, top) if lo <= top else st.nothing()


def invalid(c: Constraint) -> st.SearchStrategy:
    """Values ``c`` refuses: wrong types, non-finite numbers, values just outside the range."""
    if isinstance(c, Maybe):
        return invalid(c.inner).filter(lambda v: v is not None)
    if isinstance(c, Pair):
        good = valid(c.inner)
        return st.one_of(st.tuples(good), st.tuples(good, good, good), st.tuples(good, invalid(c.inner)),
                         st.tuples(invalid(c.inner), good), _junk_for(c))
    if isinstance(c, Many):
        wrong_item = st.lists(invalid(c.inner), min_size=1, max_size=2)
        too_few = st.lists(valid(c.inner), max_size=c.min_len - 1) if c.min_len > 0 else st.nothing()
        bare = invalid(c.inner).filter(lambda v: not isinstance(v, (list, tuple))) if c.scalar else st.nothing()
        return st.one_of(wrong_item, wrong_item.map(tuple), too_few, bare, _junk_for(c))
    near = st.nothing()
    if isinstance(c, Choice):
        near = st.one_of(st.sampled_from([v.upper() for v in c.values if v.upper() != v] or [""]),
                         st.text(max_size=8)).filter(lambda v: v not in c.values)
    elif isinstance(c, Int):
        below = st.integers(c.lo - 5, c.lo - 1) if c.lo is not None else st.nothing()
        above = st.integers(c.hi + 1, c.hi + 5) if c.hi is not None else st.nothing()
        near = st.one_of(below, above, st.floats(allow_nan=False))  # 7.0 is a number, not an integer
    elif isinstance(c, Real):
        below = (st.floats(max_value=c.lo, exclude_max=not c.lo_open, allow_nan=False, allow_infinity=False)
                 if c.lo is not None else st.nothing())
        above = (st.floats(min_value=c.hi, exclude_min=not c.hi_open, allow_nan=False, allow_infinity=False)
                 if c.hi is not None else st.nothing())
        near = st.one_of(below, above)
    elif isinstance(c, Text) and c.nonempty:
        near = st.just("")
    elif isinstance(c, PlainData):
        near = st.sampled_from([[], ["a"], {"f": object()}, {"x": float("nan")}, {"x": {1, 2}}])
    return st.one_of(near, _junk_for(c))


def _junk_for(c: Constraint) -> st.SearchStrategy:
    return JUNK.filter(lambda v: not c.allows(c.normalise(v)))


@contextlib.contextmanager
def renamed(cls: type, name: str, old: str) -> Iterator[None]:
    """Declare ``old`` as the former name of field ``name`` of ``cls`` while the block runs, as
    ``param(..., deprecated=(old,))`` would: the rename machinery is tested on the real configs
    before any of their fields is renamed. Commands built inside the block see it too."""
    f = cls.__dataclass_fields__[name]
    original = f.metadata
    decl = declaration(f)
    f.metadata = types.MappingProxyType({**original, METADATA_KEY: dataclasses.replace(
        decl, deprecated=(old, *decl.deprecated))})
    try:
        yield
    finally:
        f.metadata = original
