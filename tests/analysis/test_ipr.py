"""IPR against closed forms: 1 for a pure cosine, 1/2 for two equal cosines, Γ(r+1)/K^{r−1}
on average for random vectors."""

from __future__ import annotations

import numpy as np
import pytest

from rulesfacts.analysis.ipr import ipr, random_ipr
from rulesfacts.errors import ConfigError


@pytest.mark.parametrize("r", [2, 3, 1.5])
def test_pure_cosine_has_ipr_one(r: float) -> None:
    p = 97
    w = 0.3 * np.cos(2 * np.pi * 11 * np.arange(p) / p + 0.4)
    assert ipr(w, r) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("r", [2, 3])
def test_two_equal_cosines(r: float) -> None:
    """Two bins of equal magnitude: v = (1/√2, 1/√2), IPR_r = 2 · 2^{−r}."""
    p, n = 61, np.arange(61)
    w = np.cos(2 * np.pi * 4 * n / p) + np.cos(2 * np.pi * 19 * n / p + 1.0)
    assert ipr(w, r) == pytest.approx(2 * 2.0**-r, rel=1e-12)


@pytest.mark.parametrize("r", [2, 3])
def test_random_vectors_match_expected_ipr_and_sit_far_below_cosines(r: float) -> None:
    p = 97
    x = np.random.default_rng(0).standard_normal((3000, p))
    values = ipr(x, r)
    assert values.mean() == pytest.approx(random_ipr(p, r), rel=0.05)
    assert values.max() < 0.5  # no random vector looks like a single cosine


def test_ipr_follows_the_papers_formula_along_either_axis() -> None:
    w = np.random.default_rng(1).standard_normal((6, 23))
    direct = [np.power(np.abs(np.fft.rfft(row)) / np.linalg.norm(np.abs(np.fft.rfft(row))), 4).sum() for row in w]
    np.testing.assert_allclose(ipr(w), direct, rtol=1e-12)
    np.testing.assert_allclose(ipr(w.T, axis=0), direct, rtol=1e-12)


def test_zero_vector_is_nan_and_r_is_validated() -> None:
    assert np.isnan(ipr(np.zeros(11)))
    for bad in (1, 0.5, float("nan"), True):
        with pytest.raises(ConfigError, match="r="):
            ipr(np.ones(5), bad)
