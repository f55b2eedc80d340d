"""BN scale vs IPR on a constructed layer: cosine (rule) neurons and random (memorizing) ones
with BN scales set by hand, so the table and the ratio have known answers."""

import math

import numpy as np
import pytest

from rulesfacts.analysis.analytic import analytic_weights
from rulesfacts.analysis.batchnorm import bn_table, plot_bn_vs_ipr, scale_ratio
from rulesfacts.models.mlp import BN_EPS
from tests.tolerance import U_FLOAT32, assert_within, gamma


def _weights(p: int = 23, n_rule: int = 20, n_random: int = 12) -> dict[str, np.ndarray]:
    rule = analytic_weights(p, n_rule, seed=0)
    rng = np.random.default_rng(0)
    w_in = np.vstack([rule["W_in"], rng.normal(size=(n_random, 2 * p))]).astype(np.float32)
    w_out = np.hstack([rule["W_out"], rng.normal(size=(p, n_random))]).astype(np.float32)
    n = n_rule + n_random
    gamma = np.r_[np.full(n_rule, 2.0), np.full(n_random, -0.5)].astype(np.float32)  # sign is irrelevant
    return {"W_in": w_in, "W_out": w_out, "bn_weight": gamma, "bn_bias": np.zeros(n, np.float32),
            "bn_mean": np.zeros(n, np.float32), "bn_var": np.full(n, 4.0, np.float32)}


def test_bn_table_reads_the_scales_and_gains(tmp_path):
    w = _weights()
    table = bn_table(w, 23)
    assert (table["label"].iloc[:20] == "generalizing").all() and (table["label"].iloc[20:] == "memorizing").all()
    np.testing.assert_allclose(table["bn_scale"], np.abs(w["bn_weight"]))
    # gain = |γ| ‖W_out[:, i]‖ / √(σ² + ε). A rule neuron's output weights are one cosine over
    # the p classes, Σ_q cos²(2πfq/p + φ) = p/2: gain 2 √(p/2) / √(4 + ε). A random neuron's
    # norm is summed exactly (math.fsum of the float32 values).
    p = 23
    norms = [math.sqrt(p / 2)] * 20 + [math.sqrt(math.fsum(float(v) ** 2 for v in col)) for col in w["W_out"].T[20:]]
    expected = [abs(float(g)) * n / math.sqrt(4.0 + BN_EPS) for g, n in zip(w["bn_weight"], norms, strict=True)]
    # float32 norm (p squares summed: γ_p, sqrt: u), float32 σ² + ε and its sqrt (2u), the
    # weights' own rounding to float32 (u, rule neurons) and the final product (u)
    assert_within(table["out_gain"], expected, (gamma(p, U_FLOAT32) + 6 * U_FLOAT32) * np.abs(expected), "out_gain")
    assert scale_ratio(table) == pytest.approx(2.0 / 0.5)
    assert plot_bn_vs_ipr(table, tmp_path / "bn.png").stat().st_size > 0


def test_needs_batchnorm_weights():
    w = _weights()
    del w["bn_weight"]
    with pytest.raises(ValueError, match="BatchNorm"):
        bn_table(w, 23)
