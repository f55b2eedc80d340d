"""The GPU step path (``DeviceStep``) on the CPU: the same numbers as the CPU path to float
tolerance, and a training loop that reads nothing back from the device between log passes."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch.overrides import TorchFunctionMode

from rulesfacts import TrainConfig, train_ensemble
from rulesfacts.models.handwritten import ONE_BLOCK, blocks
from rulesfacts.runtime import cuda_matmul_precision
from rulesfacts.tasks import make_split
from rulesfacts.training.callbacks import InterruptHandler, ProgressBar
from rulesfacts.training.steps import AutogradStep, DeviceStep, HandWrittenStep, default_step
from rulesfacts.training.trainer import Trainer
from tests.model_helpers import bounded_grads, ensemble
from tests.tolerance import assert_within, trajectory_atol


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# Calls that make the host wait for a CUDA device: reading a value back (item, tolist, bool(t),
# float(t), cpu, numpy, nonzero's data-dependent shape) or copying host data to it (torch.tensor
# from Python numbers, .to(device), .cuda()).
SYNCING = {"__bool__", "__float__", "__int__", "__index__", "item", "tolist", "cpu", "numpy", "nonzero",
           "tensor", "as_tensor", "cuda"}


class SyncRecorder(TorchFunctionMode):
    """Records every torch call in ``SYNCING`` (and ``.to`` with a device) while active."""

    def __init__(self):
        super().__init__()
        self.calls: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", str(func))
        moves = name == "to" and any(isinstance(a, (str, torch.device)) for a in [*args[1:], kwargs.get("device")])
        if name in SYNCING or moves:
            self.calls.append(name)
        return func(*args, **kwargs)


def run_recorded(trainer: Trainer, epochs: int) -> tuple[list[str], list[list[str]]]:
    """Train ``epochs`` epochs through ``fit``; the syncing calls outside log passes and the final
    results (which copy the weights to NumPy), and those of each log pass."""
    rec = SyncRecorder()
    in_logs: list[list[str]] = []
    plain_log, plain_results = trainer.log, trainer.results

    def log():
        start = len(rec.calls)
        plain_log()
        in_logs.append(rec.calls[start:])
        del rec.calls[start:]

    def results():
        start = len(rec.calls)
        out = plain_results()
        del rec.calls[start:]
        return out

    trainer.log, trainer.results = log, results
    with rec:
        trainer.fit()
    assert trainer.epoch == epochs
    return rec.calls, in_logs


def configs(**changes):
    base = TrainConfig(p=11, width=24, epochs=30, log_every=5, fact_frac=0.3, n_snapshots=0, **changes)
    # members differ in seed, corruption, lr, weight decay and penalties: several AdamW groups
    return [base.replace(seed=0, wd=0.0), base.replace(seed=1, wd=2.0, lr=5e-3, l2=1e-3),
            base.replace(seed=2, wd=15.0, fact_frac=0.1, l1=1e-4)]


@pytest.mark.parametrize("changes", [{}, {"loss": "ce", "act": "relu"}, {"batch_size": 32, "act": "gelu"}])
def test_device_step_gives_the_cpu_paths_results(changes):
    cfgs = configs(**changes)
    base = cfgs[0]
    n_train = make_split(base).n_train
    # the reference: the CPU path in blocks of one member's rows (the device path: one block)
    small = 2**8
    assert len(blocks(len(cfgs), n_train, base.width, small)) > len(cfgs)
    device = train_ensemble(cfgs, progress=False, step=DeviceStep())
    cpu = train_ensemble(cfgs, progress=False, step=HandWrittenStep(block_elems=small))
    auto = train_ensemble(cfgs, progress=False, step=AutogradStep())
    steps = base.epochs * (-(-n_train // base.batch_size) if base.batch_size else 1)
    atol = trajectory_atol(steps, max(c.lr for c in cfgs), max(n_train, base.width, base.p))
    for d, c, a in zip(device, cpu, auto, strict=True):
        for k in ("W_in", "W_out"):
            np.testing.assert_allclose(d.weights[k], c.weights[k], rtol=0, atol=atol)
            np.testing.assert_allclose(d.weights[k], a.weights[k], rtol=0, atol=atol)
        assert [r["epoch"] for r in d.metrics] == [r["epoch"] for r in c.metrics]
        for x, y in zip(d.metrics, c.metrics, strict=True):
            assert x["train_acc"] == pytest.approx(y["train_acc"], abs=1.5 / n_train)
            assert x["train_loss"] == pytest.approx(y["train_loss"], rel=1e-3)
            assert x["test_loss"] == pytest.approx(y["test_loss"], rel=1e-3)


def test_one_block_bf16_gradients_within_bf16_precision():
    cfgs = [TrainConfig(p=13, width=32, seed=s) for s in range(3)]
    model, x, y = ensemble(cfgs)
    exact16, exact32 = bounded_grads(model, x, y, "mse", bf16=True), bounded_grads(model, x, y, "mse")
    model.configure_path(block_elems=ONE_BLOCK)
    path = model.hand_written()
    assert path.block_layout(3, x.shape[1], 32) == [(slice(0, 3), slice(None))]
    path.grads(path.rows(x), y, "mse", bf16=True)
    for got, b16, b32 in zip((model.w_in.grad, model.w_out.grad), exact16, exact32, strict=True):
        assert_within(got, b32.x, b16.e + b32.e, "one-block bf16 vs exact")


@pytest.mark.parametrize("step,changes", [
    (DeviceStep(), {}),
    (HandWrittenStep(), {}),
    (DeviceStep(), {"batch_size": 32}),
    (AutogradStep(), {"dropout": 0.1}),
])
def test_no_host_sync_between_log_passes(step, changes):
    cfgs = configs(**changes)
    trainer = Trainer(cfgs, step=step, callbacks=[InterruptHandler(), ProgressBar()])
    between, logs = run_recorded(trainer, cfgs[0].epochs)
    assert between == []
    # one transfer per log pass: the stacked metrics and norms
    assert len(logs) == len(trainer.log_epochs)
    assert all(calls == ["tolist"] for calls in logs)


def test_the_recorder_finds_a_sync():
    class Chatty(HandWrittenStep):
        def step(self, trainer, x, y, full_batch):
            super().step(trainer, x, y, full_batch)
            float(trainer.model.w_in.detach().sum())  # a per-epoch read-back, as a progress display might do

    cfgs = configs()
    between, _ = run_recorded(Trainer(cfgs, step=Chatty()), cfgs[0].epochs)
    assert between == ["__float__"] * cfgs[0].epochs


def test_default_step_follows_the_models_device():
    model, _, _ = ensemble([TrainConfig(p=7, width=8)])
    assert type(default_step(model, False)) is HandWrittenStep
    model.parameters = lambda: iter([SimpleNamespace(device=torch.device("cuda"))])
    step = default_step(model, True)
    assert type(step) is DeviceStep and step.compiled and step.block_elems == ONE_BLOCK
    dropout, _, _ = ensemble([TrainConfig(p=7, width=8, dropout=0.1)])
    dropout.parameters = model.parameters
    assert type(default_step(dropout, False)) is AutogradStep


def test_tf32_is_set_for_the_call_and_restored():
    matmul = torch.backends.cuda.matmul
    before = matmul.fp32_precision
    seen = []
    with pytest.raises(RuntimeError), cuda_matmul_precision("tf32"):
        seen.append(matmul.fp32_precision)
        raise RuntimeError("a failing step")
    assert seen == ["tf32"] and matmul.fp32_precision == before


def test_tfloat32_runs_each_epoch_and_log_pass_in_tf32_and_restores():
    """dtype = "tfloat32": CUDA's float32 matmuls on TF32 for each epoch and log pass, and the
    process's setting back in between; CPU matmuls are untouched, so on the CPU it is float32."""
    matmul = torch.backends.cuda.matmul
    before = matmul.fp32_precision
    seen = set()

    class Watching(DeviceStep):
        def step(self, trainer, x, y, full_batch):
            seen.add(("step", matmul.fp32_precision))
            super().step(trainer, x, y, full_batch)

        def train_logits(self, trainer):
            seen.add(("log", matmul.fp32_precision))
            return super().train_logits(trainer)

    cfgs = configs()
    tf32 = Trainer([c.replace(dtype="tfloat32") for c in cfgs], step=Watching())
    tf32.fit()
    assert seen == {("step", "tf32"), ("log", "tf32")} and matmul.fp32_precision == before
    plain = train_ensemble(cfgs, progress=False, step=DeviceStep())
    for a, b in zip(tf32.results(), plain, strict=True):
        np.testing.assert_array_equal(a.weights["W_in"], b.weights["W_in"])


def test_cuda_graph_needs_a_cuda_device():
    with pytest.raises(ValueError, match="cuda_graph needs a CUDA device"):
        Trainer(configs(), step=DeviceStep(cuda_graph=True))


def test_adamw_groups_run_as_slices_of_consecutive_members():
    """Members of one (lr, wd) group go to the fused kernel as runs of consecutive members; the
    kernel is elementwise, so each member's update is bit for bit the one it gets alone."""
    from rulesfacts.training.optim import EnsembleAdamW, consecutive

    assert consecutive([0, 1, 2, 5, 6, 9]) == [slice(0, 3), slice(5, 7), slice(9, 10)]
    lrs, wds = [1e-2, 1e-2, 3e-3, 3e-3, 1e-2], [1.0, 1.0, 5.0, 5.0, 1.0]
    gen = torch.Generator().manual_seed(0)
    init = torch.randn(5, 6, 4, generator=gen)
    grads = [torch.randn(5, 6, 4, generator=gen) for _ in range(5)]
    p = torch.nn.Parameter(init.clone())
    opt = EnsembleAdamW([p], torch.tensor(lrs), torch.tensor(wds), (0.9, 0.98), 1e-8)
    for g in grads:
        p.grad = g.clone()
        opt.step()
    for i, (lr, wd) in enumerate(zip(lrs, wds, strict=True)):
        q = torch.nn.Parameter(init[i:i + 1].clone())
        alone = EnsembleAdamW([q], torch.tensor([lr]), torch.tensor([wd]), (0.9, 0.98), 1e-8)
        for g in grads:
            q.grad = g[i:i + 1].clone()
            alone.step()
        torch.testing.assert_close(p.detach()[i], q.detach()[0], rtol=0, atol=0)
