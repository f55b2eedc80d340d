"""The RAF data against its definition: labels from the teacher, facts random ±1, sizes n = round(α d)."""

import numpy as np
import pytest

from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError
from rulesfacts.tasks import REGISTRY, make_split
from rulesfacts.tasks.raf import raf_split, teacher_of


def test_rule_labels_are_the_teachers_sign_and_facts_are_exactly_round_eps_n():
    cfg = TrainConfig(task="raf", d=50, alpha=2.5, fact_frac=0.3, test_size=300, seed=3)
    s = make_split(cfg)
    w = teacher_of(cfg)
    n = round(2.5 * 50)
    assert s.x_train.shape == (n, 50) and s.x_test.shape == (300, 50) and s.n_classes == 2 and s.vocab == 0
    # the rule, recomputed one example at a time in float64 from the float32 inputs (|w·x| ≫ rounding)
    for x, y in zip(np.concatenate([s.x_train, s.x_test]), np.concatenate([s.y_train_true, s.y_test]), strict=True):
        assert y == int(sum(float(a) * b for a, b in zip(x, w, strict=True)) >= 0)
    assert s.is_fact.sum() == round(0.3 * n)
    np.testing.assert_array_equal(s.y_train[~s.is_fact], s.y_train_true[~s.is_fact])


def test_fact_labels_are_fair_coins_independent_of_the_rule():
    s = raf_split(d=20, alpha=200.0, fact_frac=0.5, test_size=10, seed=0)  # 2000 facts
    agree = (s.y_train[s.is_fact] == s.y_train_true[s.is_fact]).mean()
    # P(agree) = 1/2: 4 standard deviations of a mean of 2000 coins
    assert abs(agree - 0.5) < 4 * 0.5 / np.sqrt(2000)
    assert abs(s.y_train[s.is_fact].mean() - 0.5) < 4 * 0.5 / np.sqrt(2000)


def test_same_seed_same_data_and_the_registry_knows_every_task():
    a, b = raf_split(30, 1.0, 0.2, 40, seed=7), raf_split(30, 1.0, 0.2, 40, seed=7)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    assert set(REGISTRY) >= {"modular", "parity", "raf"}


@pytest.mark.parametrize(("kw", "field"), [
    ({"model": "linear", "loss": "mse"}, "loss"),
    ({"model": "rf", "loss": "square"}, "act"),  # quadratic: μ1 = 0, not a feature map the theory covers
    ({"model": "mlp", "loss": "square", "act": "sign"}, "act"),
    ({"model": "linear", "loss": "square", "batch_size": 10}, "batch_size"),
])
def test_bad_model_options_name_the_field(kw, field):
    with pytest.raises(ConfigError) as e:
        TrainConfig(task="raf", d=20, alpha=1.0, **kw)
    assert e.value.field == field


def test_margin_losses_need_two_classes_and_linear_models_float_inputs():
    with pytest.raises(ConfigError) as e:
        TrainConfig(task="modular", loss="square")
    assert e.value.field == "loss"
    with pytest.raises(ConfigError) as e:
        TrainConfig(task="modular", model="linear", loss="square")
    assert e.value.field == "model"
