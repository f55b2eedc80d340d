"""Pruning: zeroing a neuron equals deleting it; on a net of known rule and random neurons,
lowest-IPR-first removes exactly the random ones and leaves the analytic net's accuracy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rulesfacts.analysis.analytic import analytic_weights
from rulesfacts.analysis.prune import prune, prune_curve, prune_order, prune_steps
from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError
from rulesfacts.tasks import make_split
from rulesfacts.training.evaluate import evaluate
from tests.analysis.helpers import mixed_weights
from tests.model_helpers import bounded_logits
from tests.tolerance import accuracy_interval, assert_within

P, N_RULE, N_RANDOM = 23, 100, 60


def forward(weights: dict[str, np.ndarray], tokens: np.ndarray) -> np.ndarray:
    h = (weights["W_in"][:, tokens[:, 0]] + weights["W_in"][:, tokens[:, 1]]) ** 2
    return (weights["W_out"] @ h).T


def test_pruning_equals_deleting_the_neurons() -> None:
    w = mixed_weights(P, 10, 10)
    gone = np.array([1, 4, 15])
    keep = np.setdiff1d(np.arange(20), gone)
    smaller = {"W_in": w["W_in"][keep], "W_out": w["W_out"][:, keep]}
    tokens = np.stack(np.divmod(np.arange(P * P), P), axis=1) + [0, P]
    # Both forwards hold the same float32 products (the pruned neurons add exact zeros) summed in
    # another order, so each is within γ_K · Σ|terms| of the exact logits (K = 20 neurons); they
    # differ by at most twice that, entry by entry, also near zero where rtol means nothing.
    exact = bounded_logits(smaller["W_in"], smaller["W_out"], tokens)
    assert_within(forward(prune(w, gone), tokens), forward(smaller, tokens), 2 * exact.e, "pruned vs deleted")
    assert_within(forward(smaller, tokens), exact.x, exact.e, "deleted vs exact")
    assert np.count_nonzero(w["W_in"][gone]) > 0  # the input is not modified


@pytest.fixture(scope="module")
def curves() -> tuple[TrainConfig, dict, dict]:
    cfg = TrainConfig(p=P, width=N_RULE + N_RANDOM, fact_frac=0.3, train_frac=0.5, device="cpu")
    w = mixed_weights(P, N_RULE, N_RANDOM)
    return cfg, w, {o: prune_curve(cfg, w, o, steps=8) for o in ("low", "high")}


def test_low_ipr_first_leaves_the_rule(curves) -> None:
    cfg, w, c = curves
    low = c["low"].set_index("n_pruned")
    assert N_RANDOM in low.index  # the class boundary is always a point of the curve
    rule = analytic_weights(P, N_RULE, 0)
    rule_only = evaluate(cfg.replace(width=N_RULE), rule)
    # The pruned net and the rule-only net compute the same float32 logits up to summation order:
    # their accuracies can differ only on examples whose top-two margin is within the rounding
    # bound (none, for this net: the interval is one point and the accuracies are equal).
    split = make_split(cfg)
    clean = ~split.is_fact
    for key, x, y in (("test_acc", split.x_test, split.y_test),
                      ("clean_acc", split.x_train[clean], split.y_train[clean])):
        lo, hi = accuracy_interval(bounded_logits(rule["W_in"], rule["W_out"], x), y)
        assert lo <= rule_only[key] <= hi and lo <= low.loc[N_RANDOM, key] <= hi, key
        assert hi - lo <= 1 / len(y)  # the margins leave at most one example in doubt
    assert low.loc[N_RANDOM, "test_acc"] >= 0.99
    assert low.loc[0, "test_acc"] >= 0.99  # the small random neurons did not spoil the rule


def test_high_ipr_first_destroys_the_rule_and_everything_pruned_predicts_class_zero(curves) -> None:
    cfg, w, c = curves
    high = c["high"].set_index("n_pruned")
    assert high.loc[N_RULE, "test_acc"] < 0.2
    split = make_split(cfg)
    # all logits 0 → argmax picks class 0
    assert high.loc[N_RULE + N_RANDOM, "test_acc"] == pytest.approx(float((split.y_test == 0).mean()))


def test_orders_and_steps() -> None:
    table = pd.DataFrame({"ipr": [0.5, 0.1, 0.9, np.nan]})
    np.testing.assert_array_equal(prune_order(table, "low"), [3, 1, 0, 2])
    np.testing.assert_array_equal(prune_order(table, "high"), [2, 0, 1, 3])
    assert sorted(prune_order(table, "random")) == [0, 1, 2, 3]
    np.testing.assert_array_equal(prune_steps(10, 5, (3,)), [0, 2, 3, 4, 6, 8, 10])
    np.testing.assert_array_equal(prune_steps(4, 100), [0, 1, 2, 3, 4])
    with pytest.raises(ConfigError, match="order"):
        prune_order(table, "middle")
    with pytest.raises(ConfigError, match="steps"):
        prune_steps(10, 0)


@pytest.mark.slow
def test_pruning_a_trained_coexistence_net_removes_the_facts_and_keeps_the_rule() -> None:
    """The claim of Doshi et al. (2024, Sec. 4) on a net small enough for CI: p = 53, N = 256,
    α = 0.6, ξ = 0.2, no weight decay (coexistence: facts memorized and test high). Removing the
    low-IPR neurons forgets the facts but keeps the rule; removing as many high-IPR neurons
    destroys the rule."""
    from rulesfacts import train
    from rulesfacts.analysis.neurons import class_counts, neuron_table
    from rulesfacts.analysis.prune import pruning_summary

    cfg = TrainConfig(p=53, width=256, train_frac=0.6, fact_frac=0.2, wd=0.0, epochs=800, log_every=100,
                      n_snapshots=0, device="cpu")
    weights = train(cfg, progress=False).weights
    table = neuron_table(weights, cfg.p)
    n_mem = class_counts(table)["n_memorizing"]
    assert 0 < n_mem < cfg.width
    curves = pd.concat([prune_curve(cfg, weights, o, steps=4, table=table) for o in ("low", "high")])
    s = pruning_summary(curves, n_mem)
    assert s["before_facts_memorized"] >= 0.9 and s["before_test_acc"] >= 0.9  # coexistence
    assert s["pruned_low_facts_memorized"] <= 0.05
    assert s["pruned_low_facts_recovered"] >= 0.9  # the rule now answers the facts
    assert s["pruned_low_test_acc"] >= 0.95 and s["pruned_low_clean_acc"] >= 0.98
    assert s["pruned_high_test_acc"] <= 0.1
