"""The ensemble trainer: M independent runs in one batched computation.

Members share shapes (``ensemble_key``) but each has its own seed, data split, facts, learning
rate, weight decay, penalties and dropout. Each member's numbers do not depend on which ensemble
it trained in (init, data and RNG streams come from its own seeds); tests check this against a
plain one-model ``torch.optim.AdamW`` implementation.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rulesfacts.errors import ConfigError
from rulesfacts.io import ensure_writable_dir
from rulesfacts.models import build_model
from rulesfacts.runtime import resolve_device
from rulesfacts.tasks import make_split
from rulesfacts.train import rundir
from rulesfacts.train.config import TrainConfig, ensemble_key
from rulesfacts.train.losses import member_loss, penalty
from rulesfacts.train.metrics import subset_metrics
from rulesfacts.train.optim import EnsembleAdamW

RNG_OFFSET = 1_000_003  # dropout / minibatch stream: independent of the init stream


@dataclass
class RunResult:
    """What a run returns to Python: its config, final summary, logged metrics and weights."""

    config: TrainConfig
    summary: dict[str, Any]
    metrics: list[dict[str, Any]]
    weights: dict[str, np.ndarray]
    run_dir: Path | None = None


def train(cfg: TrainConfig, out: Path | str | None = None, *, progress: bool = True,
          resume: bool = False) -> RunResult:
    """Train one model (an ensemble of one). Writes a run folder when ``out`` is given."""
    return train_ensemble([cfg], [out] if out is not None else None, progress=progress, resume=resume)[0]


def train_ensemble(cfgs: list[TrainConfig], out_dirs: list[Path | str] | None = None, *,
                   progress: bool = True, resume: bool = False,
                   on_log: Callable[[int, list[dict]], None] | None = None) -> list[RunResult]:
    """Train all ``cfgs`` together. They must share ``ensemble_key`` (same shapes and graph)."""
    if not cfgs:
        return []
    keys = {ensemble_key(c) for c in cfgs}
    if len(keys) > 1:
        diff = sorted(k for k, v in dict(ensemble_key(cfgs[0])).items()
                      if any(dict(ensemble_key(c))[k] != v for c in cfgs))
        raise ConfigError(diff[0] if diff else "config", "differs",
                          "equal across one ensemble (only seeds, corruption, lr, wd, l1, l2, dropout may differ)")
    dirs = [ensure_writable_dir(Path(d)) for d in out_dirs] if out_dirs is not None else None
    if dirs is not None and len(dirs) != len(cfgs):
        raise ValueError("out_dirs must have one folder per config")
    return _Trainer(cfgs, dirs, progress, on_log).run(resume)


class _Trainer:
    def __init__(self, cfgs: list[TrainConfig], dirs: list[Path] | None, progress: bool,
                 on_log: Callable[[int, list[dict]], None] | None):
        self.cfgs, self.dirs, self.progress, self.on_log = cfgs, dirs, progress, on_log
        cfg = self.cfg = cfgs[0]
        self.device = resolve_device(cfg.device)
        dev = self.device
        splits = [make_split(c) for c in cfgs]
        self.split0 = splits[0]

        def stack(name: str) -> torch.Tensor:
            return torch.from_numpy(np.stack([getattr(s, name) for s in splits])).to(dev)

        self.x_train, self.y_train, self.y_true = stack("x_train"), stack("y_train"), stack("y_train_true")
        self.is_fact, self.x_test, self.y_test = stack("is_fact"), stack("x_test"), stack("y_test")
        if self.x_train.dtype == torch.float64:
            self.x_train, self.x_test = self.x_train.float(), self.x_test.float()
        self.n_facts = [int(s.is_fact.sum()) for s in splits]
        self.model = build_model(cfgs, self.split0, dev)
        vec = lambda name: torch.tensor([float(getattr(c, name)) for c in cfgs], device=dev)  # noqa: E731
        lr = torch.tensor([c.effective_lr for c in cfgs], device=dev)
        self.l1, self.l2 = vec("l1"), vec("l2")
        self.use_penalty = bool((self.l1 > 0).any() or (self.l2 > 0).any())
        self.opt = EnsembleAdamW(list(self.model.parameters()), lr, vec("wd"), cfg.betas, cfg.eps)
        self.gens = [torch.Generator(device=dev).manual_seed(c.seed + RNG_OFFSET) for c in cfgs]
        self.log_epochs = sorted({0, *range(cfg.log_every, cfg.epochs + 1, cfg.log_every), cfg.epochs})
        idx = np.unique(np.linspace(0, len(self.log_epochs) - 1, cfg.n_snapshots).round().astype(int))
        self.snapshot_epochs = {self.log_epochs[i] for i in idx} if cfg.n_snapshots else set()
        self.rows: list[list[dict]] = [[] for _ in cfgs]
        self.diverged: list[int | None] = [None] * len(cfgs)
        self.epoch = 0
        self.seconds_before = 0.0
        self.autocast = (torch.autocast(device_type=dev.type, dtype=torch.bfloat16)
                         if cfg.dtype == "bfloat16" else contextlib.nullcontext())

    # -- main loop ---------------------------------------------------------------------------
    def run(self, resume: bool) -> list[RunResult]:
        if self.dirs is not None:
            if resume:
                self._restore()
            for d, c in zip(self.dirs, self.cfgs):
                rundir.write_config(d, c)
        start = time.perf_counter()
        if self.epoch == 0:
            self._log(0)
        with _deferred_interrupt() as interrupted, _progress_bar(self.progress, self.cfg.epochs, len(self.cfgs)) as bar:
            bar.advance(self.epoch)
            for epoch in range(self.epoch + 1, self.cfg.epochs + 1):
                self._train_epoch()
                self.epoch = epoch
                if epoch in self.log_epochs:
                    self._log(epoch)
                    bar.update(epoch, self.rows[0][-1] if self.rows[0] else None)
                    if all(d is not None for d in self.diverged):
                        break
                if interrupted():
                    self.seconds_before += time.perf_counter() - start
                    self._save_state("interrupted")
                    raise KeyboardInterrupt(f"interrupted at epoch {epoch}")
        self.seconds_before += time.perf_counter() - start
        return self._finish()

    def _train_epoch(self) -> None:
        self.model.train()
        n = self.x_train.shape[1]
        bs = self.cfg.batch_size
        if bs == 0 or bs >= n:
            self._step(self.x_train, self.y_train)
            return
        perms = torch.stack([torch.randperm(n, generator=g, device=self.device) for g in self.gens])
        for s in range(0, n, bs):
            idx = perms[:, s:s + bs]
            xb = torch.gather(self.x_train, 1, idx.view(*idx.shape, *([1] * (self.x_train.dim() - 2)))
                              .expand(-1, -1, *self.x_train.shape[2:]))
            self._step(xb, torch.gather(self.y_train, 1, idx))

    def _step(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.opt.zero_grad()
        masks = self._dropout_masks(x.shape[1])
        with self.autocast:
            logits = self.model(x, masks)
        loss = member_loss(logits.float(), y, self.cfg.loss)
        if self.use_penalty:
            loss = loss + penalty(self.opt.params, self.l1, self.l2)
        loss.sum().backward()
        self.opt.step()

    def _dropout_masks(self, n: int) -> torch.Tensor | None:
        if not getattr(self.model, "use_dropout", False):
            return None
        rates = [c.dropout for c in self.cfgs]
        width = self.cfg.width
        masks = [(torch.rand(n, width, generator=g, device=self.device) >= r).float() / (1 - r)
                 for g, r in zip(self.gens, rates)]
        return torch.stack(masks)

    # -- logging -----------------------------------------------------------------------------
    @torch.no_grad()
    def _log(self, epoch: int) -> None:
        self.model.eval()
        with self.autocast:
            lt, ls = self.model(self.x_train), self.model(self.x_test)
        metrics = subset_metrics(lt.float(), self.y_train, self.y_true, self.is_fact, ls.float(), self.y_test,
                                 self.cfg.loss)
        norms = [self._weight_norms(i) for i in range(len(self.cfgs))]
        for i, m in enumerate(metrics):
            if self.diverged[i] is not None:
                continue
            if m["train_loss"] is None or not np.isfinite(m["train_loss"]) or not np.isfinite(norms[i]["norm_in"]):
                self.diverged[i] = epoch
                continue
            self.rows[i].append({"epoch": epoch, **m, **norms[i]})
        if self.on_log is not None:
            self.on_log(epoch, [r[-1] if r else {} for r in self.rows])
        if epoch in self.snapshot_epochs and self.dirs is not None:
            self._save_state("running", snapshot=True)

    def _weight_norms(self, i: int) -> dict[str, float]:
        model = self.model
        if hasattr(model, "w_in"):
            return {"norm_in": float(model.w_in[i].float().pow(2).sum()),
                    "norm_out": float(model.w_out[i].float().pow(2).sum())}
        return {"norm_in": float(sum(p[i].float().pow(2).sum() for p in model.parameters())), "norm_out": 0.0}

    # -- persistence -------------------------------------------------------------------------
    def _member_weights(self, i: int) -> dict[str, np.ndarray]:
        return self.model.member_weights(i)

    def _save_state(self, status: str, snapshot: bool = False) -> None:
        assert self.dirs is not None
        for i, d in enumerate(self.dirs):
            if self.diverged[i] is not None:
                continue
            if snapshot:
                rundir.write_weights(rundir.snapshot_path(d, self.epoch), self._member_weights(i), np.float16)
            rundir.write_metrics(d, self.rows[i])
            rundir.save_checkpoint(d, self._checkpoint(i))
            rundir.write_summary(d, self._summary(i, status))

    def _checkpoint(self, i: int) -> dict[str, Any]:
        params = {k: v[i].detach().cpu().clone() for k, v in self.model.state_dict().items()}
        return {"epoch": self.epoch, "params": params, "opt": self.opt.member_state(i),
                "rng": self.gens[i].get_state(), "rows": self.rows[i], "seconds": self.seconds_before,
                "config": self.cfgs[i].to_dict()}

    def _restore(self) -> None:
        assert self.dirs is not None
        states = [rundir.load_checkpoint(d) for d in self.dirs]
        same = all(s is not None and s["config"] == c.to_dict() for s, c in zip(states, self.cfgs))
        if not same or len({s["epoch"] for s in states}) != 1:
            return  # nothing consistent to resume from: start over (files get rewritten)
        sd = self.model.state_dict()
        with torch.no_grad():
            for i, s in enumerate(states):
                for k, v in s["params"].items():
                    sd[k][i].copy_(v)
                self.opt.load_member_state(i, s["opt"])
                self.gens[i].set_state(s["rng"])
                self.rows[i] = list(s["rows"])
        self.epoch = states[0]["epoch"]
        self.seconds_before = states[0]["seconds"]

    def _summary(self, i: int, status: str) -> dict[str, Any]:
        cfg, rows = self.cfgs[i], self.rows[i]
        last = rows[-1] if rows else {}
        if self.diverged[i] is not None:
            status = "diverged"
        summary = {
            "status": status,
            "diverged_epoch": self.diverged[i],
            "epochs": self.epoch if self.diverged[i] is None else self.diverged[i],
            "seconds": round(self.seconds_before, 3),
            "ensemble_size": len(self.cfgs),
            "n_train": int(self.x_train.shape[1]),
            "n_test": int(self.x_test.shape[1]),
            "n_facts": self.n_facts[i],
            **grokking_times(rows),
        }
        for k in ("train_acc", "test_acc", "clean_acc", "facts_memorized", "facts_recovered",
                  "train_loss", "test_loss"):
            summary[k] = None if self.diverged[i] is not None else last.get(k)
        summary["seed"] = cfg.seed
        return summary

    def _finish(self) -> list[RunResult]:
        results = []
        for i, cfg in enumerate(self.cfgs):
            summary = self._summary(i, "completed")
            weights = self._member_weights(i)
            d = self.dirs[i] if self.dirs is not None else None
            if d is not None:
                rundir.write_metrics(d, self.rows[i])
                rundir.write_weights(d / rundir.WEIGHTS, weights)
                rundir.write_summary(d, summary)
                (d / rundir.CHECKPOINT).unlink(missing_ok=True)
            results.append(RunResult(cfg, summary, self.rows[i], weights, d))
        return results


def grokking_times(rows: list[dict[str, Any]], level: float = 0.99) -> dict[str, int | None]:
    """First logged epochs at which train and test accuracy reach ``level``, and the delay
    between them (the grokking delay of Power et al. 2022; PAIR's "generalization long after
    memorization")."""
    def first(key: str) -> int | None:
        return next((r["epoch"] for r in rows if r.get(key) is not None and r[key] >= level), None)

    t_train, t_test = first("train_acc"), first("test_acc")
    delay = t_test - t_train if t_train is not None and t_test is not None else None
    return {"epoch_train_99": t_train, "epoch_test_99": t_test, "grok_delay": delay}


@contextlib.contextmanager
def _deferred_interrupt() -> Iterator[Callable[[], bool]]:
    """Turn Ctrl-C into a flag checked between epochs, so the state saved is consistent."""
    hit = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield hit.is_set
        return
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, lambda *_: hit.set())
    try:
        yield hit.is_set
    finally:
        signal.signal(signal.SIGINT, previous)


class _NoBar:
    def advance(self, n: int) -> None: ...

    def update(self, epoch: int, row: dict | None) -> None: ...


@contextlib.contextmanager
def _progress_bar(enabled: bool, total: int, members: int) -> Iterator[Any]:
    if not enabled:
        yield _NoBar()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from rulesfacts.runtime import stderr_console

    columns = (TextColumn("[bold]train[/] M={task.fields[m]}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[info]}"), TimeRemainingColumn())
    with Progress(*columns, console=stderr_console(), transient=True) as prog:
        task = prog.add_task("train", total=total, m=members, info="")

        class Bar:
            def advance(self, n: int) -> None:
                prog.update(task, completed=n)

            def update(self, epoch: int, row: dict | None) -> None:
                info = f"train {row['train_acc']:.3f} test {row['test_acc']:.3f}" if row else ""
                prog.update(task, completed=epoch, info=info)

        yield Bar()
