"""The compiled elementwise kernels (``compile=True`` on the hand-written path) against autograd."""

import pytest
import torch

from rulesfacts import TrainConfig, train
from rulesfacts.models.fused import CompiledKernels
from tests.model_helpers import autograd_grads, ensemble


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    torch._dynamo.reset()
    yield
    torch.set_num_threads(before)


def rel_err(a, b):
    return float((a - b).abs().max() / b.abs().max())


# one case per block layout (one block; blocks of members; row blocks of one member), each with
# another activation and loss, so every branch of the kernels is compiled once
@pytest.mark.parametrize(("act", "loss", "block"), [("quadratic", "mse", 700), ("relu", "ce", 2**12),
                                                    ("gelu", "mse", 2**30), ("quadratic", "ce", 2**12)])
def test_compiled_kernels_equal_autograd(act, loss, block):
    cfgs = [TrainConfig(p=13, width=24, act=act, loss=loss, seed=s, corrupt=0.3) for s in range(3)]
    model, x, y = ensemble(cfgs)
    model.configure_path(block_elems=block)
    ref = autograd_grads(model, x, y, loss)
    with torch.no_grad():
        ref_logits = model(x)
    model.configure_path(CompiledKernels(), block_elems=block)
    path = model.hand_written()
    path.grads(path.rows(x), y, loss, static_rows=True)
    for g, r in zip((model.w_in.grad, model.w_out.grad), ref, strict=True):
        assert rel_err(g, r) <= 1e-5
    with torch.no_grad():
        assert rel_err(model(x), ref_logits) <= 1e-6  # the log pass (blocked logits) compiled too


# one block; row blocks of one member
@pytest.mark.parametrize("block", [2**30, 300])
def test_compiled_bf16_kernels_are_autocast_to_bf16_precision(block):
    cfgs = [TrainConfig(p=13, width=32, seed=s) for s in range(2)]
    model, x, y = ensemble(cfgs)
    model.configure_path(block_elems=block)
    ref = autograd_grads(model, x, y, "mse", bf16=True)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        ref_logits = model(x).float()
    model.configure_path(CompiledKernels(), block_elems=block)
    path = model.hand_written()
    path.grads(path.rows(x), y, "mse", bf16=True, static_rows=True)
    for g, r in zip((model.w_in.grad, model.w_out.grad), ref, strict=True):
        assert rel_err(g, r) <= 2e-2  # bf16 has 8 mantissa bits: ~0.4% per rounding
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        assert rel_err(model(x).float(), ref_logits) <= 2e-2  # the log pass, in its own blocks


@pytest.mark.parametrize("batch_size", [0, 48])  # full batch (logits reused from the log pass); minibatches
def test_compiled_run_follows_the_eager_run(batch_size, tmp_path):
    cfg = TrainConfig(p=11, width=24, epochs=30, log_every=10, corrupt=0.2, seed=3, batch_size=batch_size)
    eager = train(cfg, tmp_path / "eager", progress=False)
    compiled = train(cfg.replace(compile=True), tmp_path / "compiled", progress=False)
    assert len(eager.metrics) == len(compiled.metrics) == 4
    for a, b in zip(eager.metrics, compiled.metrics, strict=True):
        # same math, other summation order in the scatter: equal up to float32 reassociation
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-4)
        assert b["test_acc"] == pytest.approx(a["test_acc"], abs=0.01)
