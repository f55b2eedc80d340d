import math

import numpy as np
import pytest

from rulesfacts.report.encode import (
    dequantize,
    dequantize_unit,
    even_indices,
    quantize,
    quantize_unit,
    rounded,
    rounded_list,
)


def test_rounded_keeps_four_significant_digits_and_drops_non_finite():
    assert rounded(0.123456) == 0.1235
    assert rounded(123456.0) == 123500.0
    assert rounded(-2.5e-7) == -2.5e-7
    assert rounded(float("nan")) is None and rounded(math.inf) is None and rounded(None) is None
    assert rounded_list(np.array([1 / 3, np.nan])) == [0.3333, None]


@pytest.mark.parametrize("n,k", [(1, 5), (5, 5), (100, 7), (1001, 500)])
def test_even_indices_keep_first_and_last_and_bound_the_count(n, k):
    idx = even_indices(n, k)
    assert len(idx) == min(n, k)
    assert idx[0] == 0 and idx[-1] == n - 1
    assert np.all(np.diff(idx) > 0)


def test_quantize_round_trip_is_within_half_a_level():
    rng = np.random.default_rng(0)
    w = rng.normal(0, 3, (17, 9))
    q = quantize(w)
    back = dequantize(q)
    scale = np.abs(w).max()
    assert back.shape == w.shape
    # one code step is 2·scale/255; rounding errs by at most half a step (plus the 4-digit scale)
    assert np.abs(back - w).max() <= scale / 255 * (1 + 1e-3)


def test_quantize_is_symmetric_so_zero_is_neutral():
    w = np.array([[-2.0, 0.0, 2.0, 1.0]])
    codes = np.frombuffer(__import__("base64").b64decode(quantize(w)["b64"]), np.uint8)
    assert codes[0] == 0 and codes[2] == 255
    assert codes[1] in (127, 128)
    assert int(codes[3]) + int(np.frombuffer(__import__("base64").b64decode(quantize(-w)["b64"]), np.uint8)[3]) == 255


def test_quantize_of_zeros_and_nans_is_finite():
    q = quantize(np.array([[0.0, np.nan], [0.0, 0.0]]))
    assert q["scale"] == 0.0
    assert np.all(dequantize(q) == 0)


def test_quantize_unit_round_trip_clips_to_the_unit_interval():
    v = np.array([[0.0, 0.25, 1.0], [np.nan, -0.5, 2.0]])
    back = dequantize_unit(quantize_unit(v))
    assert back.shape == v.shape
    assert np.abs(back - np.array([[0.0, 0.25, 1.0], [0.0, 0.0, 1.0]])).max() <= 0.5 / 255
