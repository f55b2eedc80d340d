"""The trainer's fast path (hand-written backward, fused AdamW, reused log forward) against the
slow, obviously-right one (autograd, plain tensor AdamW, torch.optim.AdamW)."""

import numpy as np
import pytest
import torch

from rulesfacts import TrainConfig, train, train_ensemble
from rulesfacts.tasks import make_split
from rulesfacts.training import optim
from rulesfacts.training.losses import penalty, penalty_grads
from rulesfacts.training.steps import AutogradStep
from tests.model_helpers import autograd_grads, bounded_grads, ensemble
from tests.tolerance import U_FLOAT32, adamw_bound, assert_within, trajectory_atol


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread: on the shared 2-core machine, two OpenMP threads make each small kernel
    wait a scheduler slice (measured 100× slower here); the numbers checked do not depend on it."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def manual_grads(model, x, y, loss, **kw):
    path = model.hand_written()
    path.grads(path.rows(x), y, loss, **kw)
    return model.w_in.grad.clone(), model.w_out.grad.clone()


@pytest.mark.parametrize("act", ["quadratic", "relu", "gelu"])
@pytest.mark.parametrize("loss", ["mse", "ce"])
@pytest.mark.parametrize("block", [0, 2**30, 2**12, 700])  # ONE_BLOCK; one block; member blocks; row blocks
def test_manual_backward_equals_autograd(act, loss, block):
    cfgs = [TrainConfig(p=13, width=24, act=act, loss=loss, seed=s, fact_frac=0.3) for s in range(3)]
    model, x, y = ensemble(cfgs)
    model.configure_path(block_elems=block)
    ref = autograd_grads(model, x, y, loss)
    # each float32 gradient within the running rounding bound of the exact one: differ by ≤ 2×
    bound = bounded_grads(model, x, y, loss)
    for static in (False, True, True):  # the second static call reuses the cached scatter matrices
        got = manual_grads(model, x, y, loss, static_rows=static)
        for g, r, b in zip(got, ref, bound, strict=True):
            assert_within(g, r, 2 * b.e)


def test_reused_logits_give_the_same_gradient():
    cfgs = [TrainConfig(p=11, width=16, seed=s) for s in range(2)]
    model, x, y = ensemble(cfgs)
    with torch.no_grad():
        logits = model(x)  # the log pass (eval, no grad) goes through the hand-written path's blocked logits
    ref = manual_grads(model, x, y, "mse")
    got = manual_grads(model, x, y, "mse", logits=logits)
    for g, r in zip(got, ref, strict=True):
        torch.testing.assert_close(g, r, rtol=0, atol=0)


def test_bf16_manual_backward_is_autocast_to_bf16_precision():
    cfgs = [TrainConfig(p=13, width=32, seed=s) for s in range(2)]
    model, x, y = ensemble(cfgs)
    ref = autograd_grads(model, x, y, "mse", bf16=True)
    exact = autograd_grads(model, x, y, "mse")
    got = manual_grads(model, x, y, "mse", bf16=True)
    # bf16 matmul operands and results (u = 2⁻⁸ per cast), float32 accumulation and elementwise work
    b16, b32 = bounded_grads(model, x, y, "mse", bf16=True), bounded_grads(model, x, y, "mse")
    for g, r, e, e16, e32 in zip(got, ref, exact, b16, b32, strict=True):
        assert_within(g, r, 2 * e16.e, "bf16 hand-written vs bf16 autograd")
        assert_within(g, e, e16.e + e32.e, "bf16 hand-written vs float32 autograd")


def test_penalty_grads_equal_autograd_of_penalty():
    w = [torch.randn(3, 5, 4, requires_grad=True), torch.randn(3, 4, 2, requires_grad=True)]
    with torch.no_grad():
        w[0][0, 0, 0] = 0.0  # |w| at 0: autograd's subgradient is 0
    l1, l2 = torch.tensor([0.0, 1e-2, 3e-2]), torch.tensor([1e-1, 0.0, 2e-1])
    penalty(w, l1, l2).sum().backward()
    ref = [p.grad.clone() for p in w]
    for p in w:
        p.grad = torch.zeros_like(p)
    penalty_grads(w, l1, l2)
    for p, r in zip(w, ref, strict=True):
        # l1·sign(w) (exact) + l2·w (one rounding), summed (one rounding), on either side
        scale = l1.view(-1, 1, 1) + l2.view(-1, 1, 1) * p.detach().abs()
        assert_within(p.grad, r, 4 * U_FLOAT32 * scale)


@pytest.mark.parametrize("lrs,wds", [([1e-2, 1e-2, 1e-2], [1.0, 1.0, 1.0]),  # one fused call
                                     ([1e-2, 3e-3, 1e-2], [0.0, 5.0, 15.0])])  # one call per group
def test_fused_ensemble_adamw_equals_torch_adamw_per_member(lrs, wds):
    gen = torch.Generator().manual_seed(0)
    init = torch.randn(3, 6, 5, generator=gen)
    grads = [torch.randn(3, 6, 5, generator=gen) for _ in range(7)]
    results = {}
    for fused in (True, False):
        p = torch.nn.Parameter(init.clone())
        opt = optim.EnsembleAdamW([p], torch.tensor(lrs), torch.tensor(wds), (0.9, 0.98), 1e-8, fused=fused)
        for g in grads:
            p.grad = g.clone()
            opt.step()
        results[fused] = p.detach()
    for i, (lr, wd) in enumerate(zip(lrs, wds, strict=True)):
        q = torch.nn.Parameter(init[i].clone())
        ref = torch.optim.AdamW([q], lr=lr, betas=(0.9, 0.98), eps=1e-8, weight_decay=wd)
        for g in grads:
            q.grad = g[i].clone()
            ref.step()
        _, bound = adamw_bound(init[i], [g[i] for g in grads], lr, wd, (0.9, 0.98), 1e-8)
        for fused in (True, False):  # both within the float32 rounding bound of exact AdamW
            assert_within(results[fused][i], q.detach(), 2 * bound)


@pytest.mark.parametrize("changes", [
    {},
    {"loss": "ce", "act": "relu", "l1": 1e-4, "l2": 1e-3},
    {"batch_size": 32, "act": "gelu"},  # minibatches: the manual path without cached scatter matrices
])
def test_trainer_fast_path_equals_autograd_path(changes):
    base = TrainConfig(p=11, width=24, epochs=30, log_every=5, fact_frac=0.3, **changes)
    cfgs = [base.replace(seed=0, wd=0.0), base.replace(seed=1, wd=2.0, lr=5e-3)]
    fast = train_ensemble(cfgs, progress=False)
    slow = train_ensemble(cfgs, progress=False, step=AutogradStep())
    n_train = make_split(base).n_train
    steps = 30 * (-(-n_train // base.batch_size) if base.batch_size else 1)
    atol = trajectory_atol(steps, max(c.lr for c in cfgs), max(n_train, base.width, base.p))
    for f, s in zip(fast, slow, strict=True):
        for k in ("W_in", "W_out"):
            np.testing.assert_allclose(f.weights[k], s.weights[k], rtol=0, atol=atol)
        assert [r["epoch"] for r in f.metrics] == [r["epoch"] for r in s.metrics]
        for a, b in zip(f.metrics, s.metrics, strict=True):  # the log rows mean the same epoch
            assert a["train_acc"] == pytest.approx(b["train_acc"], abs=1.5 / 60)
            assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-3)
            assert a["test_loss"] == pytest.approx(b["test_loss"], rel=1e-3)


def test_fast_path_is_used_only_where_it_applies():
    def uses_manual(**kw):
        model, _, _ = ensemble([TrainConfig(p=7, width=8, **kw)])
        return model.hand_written() is not None

    assert uses_manual()
    assert not uses_manual(dropout=0.1)
    assert not uses_manual(batchnorm=True, batch_size=8)
    assert not uses_manual(bias=True)


def test_fast_path_runs_are_deterministic():
    cfg = TrainConfig(p=11, width=16, epochs=20, log_every=5, fact_frac=0.3, seed=3)
    a, b = train(cfg, progress=False), train(cfg, progress=False)
    assert a.metrics == b.metrics
    np.testing.assert_array_equal(a.weights["W_in"], b.weights["W_in"])
