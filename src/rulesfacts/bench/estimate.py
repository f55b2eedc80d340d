"""How long a run will take, estimated before it starts: its FLOP count (the model's
``train_flops`` / ``eval_flops``, ``bench.trainer.useful_flops``) over the rate measured on this
machine in a few epochs of the same configuration. An estimate: the first epochs include warm-up,
and other processes sharing the cores change the rate while the run goes on."""

from __future__ import annotations

from dataclasses import dataclass

from rulesfacts.bench.timing import seconds
from rulesfacts.bench.trainer import useful_flops
from rulesfacts.config.train import TrainConfig
from rulesfacts.training.trainer import Trainer


@dataclass(frozen=True)
class Estimate:
    flops: float  # useful FLOPs of the whole run
    flops_per_second: float  # measured here, in ``probe_epochs`` epochs
    seconds: float  # flops / flops_per_second
    probe_epochs: int


def estimate_run(cfg: TrainConfig, budget_s: float = 1.0) -> Estimate:
    """Time a few epochs (and one log pass) of ``cfg`` in a throw-away trainer, about ``budget_s``
    seconds in all (the median of three timings, so one slow moment does not decide), and scale
    by the FLOP count to ``cfg.epochs``."""
    trainer = Trainer([cfg.replace(epochs=10**6, n_snapshots=0)])
    first = seconds(trainer.train_epoch)  # after one warm-up epoch
    calls = max(1, min(20, int(budget_s / 3 / max(first, 1e-6))))
    epoch = seconds(trainer.train_epoch, calls=calls, repeats=3, warmup=False)
    log = seconds(trainer.log, warmup=False)
    per_epoch = epoch + log / cfg.log_every
    flops_per_epoch = useful_flops(cfg)
    rate = flops_per_epoch / per_epoch
    total = flops_per_epoch * cfg.epochs
    return Estimate(total, rate, total / rate, 3 * calls + 2)


def duration_text(seconds_: float) -> str:
    """``73 s``, ``4.2 min``, ``1.5 h``."""
    if seconds_ < 90:
        return f"{seconds_:.0f} s"
    if seconds_ < 5400:
        return f"{seconds_ / 60:.1f} min"
    return f"{seconds_ / 3600:.1f} h"
