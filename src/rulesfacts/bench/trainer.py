"""The trainer and the straightforward one-model-at-a-time baseline as clocks: each times a
model-epoch of a run that logs every ``log_every`` epochs, so both are charged their log passes.
Also the useful FLOPs both are credited with (the model's own count) and their peak memory."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import torch
from torch import nn

from rulesfacts.bench.machine import proc_status_kb
from rulesfacts.bench.timing import seconds
from rulesfacts.config.train import TrainConfig
from rulesfacts.models import build_model
from rulesfacts.tasks import make_split
from rulesfacts.training.steps import StepPath
from rulesfacts.training.trainer import Trainer


def reference_configs(p: int, width: int, m: int, train_frac: float, log_every: int, dtype: str = "float32",
                      compile: bool = False, device: str = "cpu") -> list[TrainConfig]:
    """``m`` seeds of the paper's network at (p, N), full batch on ``device``, never ending by itself."""
    return [TrainConfig(p=p, width=width, train_frac=train_frac, seed=i, epochs=10**6, log_every=log_every,
                        n_snapshots=0, dtype=dtype, device=device, compile=compile) for i in range(m)]


def useful_flops(cfg: TrainConfig) -> float:
    """Useful FLOPs of one model-epoch of ``cfg``, as the model counts them
    (``EnsembleModel.train_flops`` and ``eval_flops``): the training epoch, plus the test set's
    forward pass every ``log_every`` epochs. The log pass's train metrics cost nothing extra: the
    step after it reuses its forward pass."""
    split = make_split(cfg)
    model = build_model([cfg], split, torch.device("cpu"))
    n_train, n_test = len(split.y_train), len(split.y_test)
    return model.train_flops(n_train) + model.eval_flops(n_test) / cfg.log_every


class Clock:
    """Something that trains ``members`` models an epoch at a time and logs now and then."""

    members = 1
    log_every = 10

    def epoch_step(self) -> None:
        raise NotImplementedError

    def log(self) -> None:
        raise NotImplementedError

    def run(self, epochs: int) -> None:
        for _ in range(epochs):
            self.epoch_step()

    def sync(self) -> None:
        """Wait for the device to finish what was queued (a GPU runs behind the host): the end of
        every timed stretch. Nothing to wait for on the CPU."""

    def seconds_per_model_epoch(self, epochs: int) -> float:
        """Seconds per model-epoch of a run that logs every ``log_every`` epochs: one log pass plus
        the epoch after it (which may reuse the log's forward pass), and ``epochs`` plain epochs,
        combined as (log + that epoch + (log_every − 1) · plain) / log_every, per member."""
        self.sync()
        logged = seconds(lambda: (self.log(), self.epoch_step(), self.sync()), warmup=False)
        plain = seconds(lambda: (self.run(epochs), self.sync()), warmup=False) / epochs
        return (logged + (self.log_every - 1) * plain) / self.log_every / self.members


class TrainerClock(Clock):
    """The ensemble trainer (``train.trainer.Trainer``) with its run loop reduced to epochs and log
    passes. ``step``: the step path (``train.steps``: ``HandWrittenStep(compiled, block_elems)``,
    ``AutogradStep(compiled)``, ``DeviceStep(compiled, tf32, cuda_graph)``); None: the trainer's
    default for the configs."""

    def __init__(self, cfgs: list[TrainConfig], step: StepPath | None = None):
        self.trainer = Trainer(cfgs, step=step)
        self.members, self.log_every = len(cfgs), cfgs[0].log_every
        # warm-up: a step, a log pass and the step that reuses its logits (with ``compile``, each
        # compiles its own graphs, which would otherwise be timed in the first round)
        self.run(1)
        self.log()
        self.run(1)

    def epoch_step(self) -> None:
        self.trainer.train_epoch()
        self.trainer.epoch += 1

    def log(self) -> None:
        self.trainer.log()

    def sync(self) -> None:
        if self.trainer.device.type == "cuda":
            torch.cuda.synchronize(self.trainer.device)


class BaselineClock(Clock):
    """The straightforward way (the structure of the papers' code): one ``nn.Linear`` model on
    one-hot inputs, ``nn.MSELoss`` on one-hot targets and ``torch.optim.AdamW`` per run, runs
    trained one after another in a Python loop; train and test accuracy evaluated with extra
    forward passes every ``log_every`` epochs."""

    def __init__(self, cfg: TrainConfig):
        split = make_split(cfg)
        p = self.p = cfg.p
        self.log_every = cfg.log_every

        def onehot(tokens: Any) -> torch.Tensor:
            t = torch.from_numpy(tokens)
            return nn.functional.one_hot(t[:, 0], 2 * p).float() + nn.functional.one_hot(t[:, 1], 2 * p).float()

        self.x, self.x_test = onehot(split.x_train), onehot(split.x_test)
        self.y, self.y_test = torch.from_numpy(split.y_train), torch.from_numpy(split.y_test)
        self.target = nn.functional.one_hot(self.y, p).float()
        torch.manual_seed(cfg.seed)
        self.fc1, self.fc2 = nn.Linear(2 * p, cfg.width, bias=False), nn.Linear(cfg.width, p, bias=False)
        self.opt = torch.optim.AdamW([self.fc1.weight, self.fc2.weight], lr=cfg.lr, betas=cfg.betas, eps=cfg.adam_eps,
                                     weight_decay=cfg.wd)
        self.loss = nn.MSELoss()
        self.run(1)

    def model(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.fc1(x) ** 2)

    def epoch_step(self) -> None:
        self.opt.zero_grad()
        self.loss(self.model(self.x), self.target).backward()
        self.opt.step()

    @torch.no_grad()
    def log(self) -> None:
        (self.model(self.x).argmax(1) == self.y).float().mean().item()
        out = self.model(self.x_test)
        (out.argmax(1) == self.y_test).float().mean().item()
        self.loss(out, nn.functional.one_hot(self.y_test, self.p).float()).item()


# -- peak memory, each in a fresh process ---------------------------------------------------------
def peak_memory_mb(kind: str, p: int, width: int, m: int, train_frac: float, epochs: int = 2) -> float | None:
    """Peak resident memory (MB, /proc VmHWM) of ``epochs`` epochs and a log pass of ``kind`` ("ours"
    or "baseline"), minus the resident memory right after importing torch: in a child process,
    because a process's peak only grows. None where /proc is missing or the child fails."""
    code = ("import json; from rulesfacts.bench.trainer import child_memory; "
            f"print(json.dumps(child_memory({kind!r}, {p}, {width}, {m}, {train_frac}, {epochs})))")
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError):
        return None


def child_memory(kind: str, p: int, width: int, m: int, train_frac: float, epochs: int) -> float:
    """``peak_memory_mb``'s measurement, run inside the child process (torch is already imported:
    its own footprint is not counted)."""
    before_kb = proc_status_kb("VmRSS")
    cfgs = reference_configs(p, width, m, train_frac, 10)
    clock = TrainerClock(cfgs) if kind == "ours" else BaselineClock(cfgs[0])
    clock.run(epochs)
    clock.log()
    return round((proc_status_kb("VmHWM") - before_kb) / 1024, 1)
