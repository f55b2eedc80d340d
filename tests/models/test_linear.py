"""Linear and random-features readouts: the trained fit against the closed-form ridge solution,
the centring constant against the theory's Gaussian-equivalence coefficients, members independent."""

import numpy as np
import pytest
import torch

from rulesfacts.config.train import TrainConfig
from rulesfacts.models.linear import MU0
from rulesfacts.theory.models.activations import ge_coefficients
from rulesfacts.training.trainer import Trainer


def raf(model="linear", loss="square", seed=0, **kw):
    base = {"task": "raf", "model": model, "loss": loss, "d": 40, "alpha": 2.0, "fact_frac": 0.2, "lam": 0.05,
            "epochs": 200, "log_every": 200, "test_size": 100, "n_snapshots": 0, "seed": seed}
    return TrainConfig(**(base | kw))


@pytest.mark.parametrize("act", sorted(MU0))
def test_centring_constant_is_the_theorys_mu0(act):
    assert abs(MU0[act] - ge_coefficients(act).mu0) < 1e-9


@pytest.mark.parametrize(("model", "act"), [("linear", "quadratic"), ("rf", "relu")])
def test_square_loss_fit_is_the_closed_form_ridge_solution(model, act):
    """argmin Σ ½(y − Za)² + λ/2‖a‖² = (ZᵀZ + λI)⁻¹ Zᵀy. L-BFGS stops at ‖∇‖_∞ ≤ 1e-9·(1 + ‖Zᵀy‖_∞);
    the Hessian's smallest eigenvalue is ≥ λ, so ‖a − a*‖₂ ≤ √D·‖∇‖_∞/λ."""
    trainer = Trainer([raf(model, act=act, seed=s) for s in range(2)])
    trainer.fit()
    for i in range(2):
        z = trainer.model.design(trainer.data.x_train)[i]
        y = (2 * trainer.data.y_train[i] - 1).double()
        exact = torch.linalg.solve(z.T @ z + 0.05 * torch.eye(z.shape[1], dtype=torch.float64), z.T @ y)
        bound = np.sqrt(z.shape[1]) * 1e-9 * (1 + float((z.T @ y).abs().max())) / 0.05
        assert float((trainer.model.a[i].detach() - exact).norm()) <= bound


def test_logistic_fit_is_stationary_and_members_do_not_depend_on_their_ensemble():
    """At the optimum Zᵀ(s∘g'(s∘Za)) + λa = 0; a member trained alone equals itself in an ensemble."""
    pair = Trainer([raf(loss="logistic", seed=0), raf(loss="logistic", seed=1, lam=0.5)])
    pair.fit()
    alone = Trainer([raf(loss="logistic", seed=1, lam=0.5)])
    alone.fit()
    torch.testing.assert_close(pair.model.a[1], alone.model.a[0], rtol=0, atol=1e-12)
    z = pair.model.design(pair.data.x_train)[0]
    s = (2 * pair.data.y_train[0] - 1).double()
    a = pair.model.a[0].detach()
    grad = z.T @ (-s * torch.sigmoid(-s * (z @ a))) + 0.05 * a
    assert float(grad.abs().max()) <= 1e-9 * (1 + float((z.T @ s).abs().max()))


def test_logits_are_the_margin_and_predict_its_sign():
    trainer = Trainer([raf("rf", act="sign")])
    trainer.fit()
    x = trainer.data.x_test
    h = trainer.model.margin(x)
    logits = trainer.model(x)
    torch.testing.assert_close((logits[..., 1] - logits[..., 0]).double(), h, rtol=1e-6, atol=1e-6)
    # unpinned inputs (a copy) give the pinned design's margins
    torch.testing.assert_close(trainer.model.margin(x.clone()), h, rtol=1e-5, atol=1e-5)
