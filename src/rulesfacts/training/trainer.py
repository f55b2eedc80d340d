"""The ensemble trainer: M independent runs in one batched computation.

Members share shapes (``ensemble_key``) but each has its own seed, data split, facts, learning
rate, weight decay, penalties and dropout. Each member's numbers do not depend on which ensemble
it trained in (init, data and RNG streams come from its own seeds); tests check this against a
plain one-model ``torch.optim.AdamW`` implementation.

The loop (``Trainer.fit``) is: step, evaluate, log. How a step is computed is a ``StepPath``
(``training/steps.py``); everything around the loop is a callback (``training/callbacks.py``: progress,
interrupts; ``training/runfolder.py``: checkpoints, resume, the run folder).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rulesfacts.config.train import CONVEX_MODELS, MARGIN_LOSSES, TrainConfig, ensemble_key
from rulesfacts.errors import ConfigError, RulesfactsError, one_line
from rulesfacts.models import build_model
from rulesfacts.runtime import cuda_matmul_precision, require_compiler, resolve_device
from rulesfacts.tasks import make_split
from rulesfacts.tasks.base import Split
from rulesfacts.training.callbacks import Callback, InterruptHandler, ProgressBar
from rulesfacts.training.metrics import METRIC_NAMES, member_rows, subset_metric_tensors
from rulesfacts.training.optim import EnsembleAdamW
from rulesfacts.training.result import RunResult
from rulesfacts.training.runfolder import RunFolderWriter, claim_folders, completed_runs
from rulesfacts.training.steps import StepPath, default_step
from rulesfacts.training.summary import SUMMARY_KEYS

RNG_OFFSET = 1_000_003  # dropout / minibatch stream: independent of the init stream


@dataclass
class StagedData:
    """Every member's split, stacked on the member axis and moved to the device once."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    y_true: torch.Tensor
    is_fact: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_facts: list[int]

    @classmethod
    def stage(cls, splits: list[Split], device: torch.device) -> StagedData:
        def stack(name: str) -> torch.Tensor:
            t = torch.from_numpy(np.stack([getattr(s, name) for s in splits])).to(device)
            return t.float() if t.dtype == torch.float64 else t

        return cls(stack("x_train"), stack("y_train"), stack("y_train_true"), stack("is_fact"), stack("x_test"),
                   stack("y_test"), [int(s.is_fact.sum()) for s in splits])


def check_ensemble(cfgs: list[TrainConfig]) -> torch.device:
    """Configs trained together must share ``ensemble_key`` (same shapes and graph), name a device
    this machine has, and find a C++ compiler when they ask for ``compile``; returns the device."""
    keys = {ensemble_key(c) for c in cfgs}
    if len(keys) > 1:
        diff = sorted(k for k, v in dict(ensemble_key(cfgs[0])).items()
                      if any(dict(ensemble_key(c))[k] != v for c in cfgs))
        raise ConfigError(diff[0] if diff else "config", "differs",
                          "equal across one ensemble (only seeds, corruption, lr, wd, l1, l2, dropout may differ)")
    device = resolve_device(cfgs[0].device)
    if cfgs[0].compile:
        require_compiler(device)
    return device


def check_split(cfg: TrainConfig, split: Split) -> None:
    """What only the data can tell (task arrays reads its classes and size from a file)."""
    two = cfg.loss in MARGIN_LOSSES or cfg.model in CONVEX_MODELS
    if two and split.n_classes != 2:
        field = "loss" if cfg.loss in MARGIN_LOSSES and cfg.model not in CONVEX_MODELS else "model"
        raise ConfigError(field, getattr(cfg, field), f"a choice for {split.n_classes} classes (margin losses and "
                                                      "linear/rf readouts need two)")
    if cfg.batch_size > split.n_train:
        raise ConfigError("batch_size", cfg.batch_size, f"0 (full batch) or ≤ the {split.n_train} training examples")


class Trainer:
    """Trains the ensemble of ``cfgs``. ``step``: how a step is computed (default: the hand-written
    path where the model has one, else autograd; compiled when the config says so).
    ``callbacks``: progress, interrupts, run folders, or your own hooks. ``splits``: each member's
    data, when not the task's own draw (``analysis.memscore`` trains members on subsets); they
    must share shapes."""

    def __init__(self, cfgs: list[TrainConfig], *, step: StepPath | None = None,
                 callbacks: Sequence[Callback] = (), splits: Sequence[Split] | None = None):
        if not cfgs:
            raise ValueError("no configs to train")
        dev = self.device = check_ensemble(cfgs)
        self.cfgs, self.cfg = cfgs, cfgs[0]
        self.callbacks = list(callbacks)
        if splits is not None and len(splits) != len(cfgs):
            raise ValueError("splits must have one Split per config")
        splits = list(splits) if splits is not None else [make_split(c) for c in cfgs]
        self.split0 = splits[0]
        check_split(self.cfg, self.split0)
        self.data = StagedData.stage(splits, dev)
        self.model = build_model(cfgs, self.split0, dev)
        self.step_path = step if step is not None else default_step(self.model, self.cfg.compile)
        self.step_path.prepare(self)

        def vec(name: str) -> torch.Tensor:
            return torch.tensor([float(getattr(c, name)) for c in cfgs], device=dev)

        lr = torch.tensor([c.effective_lr for c in cfgs], device=dev)
        # λ of the summed loss Σℓ + λ/2‖w‖² is λ/n on the trainer's mean loss (linear readouts take it
        # in ConvexStep's own objective instead). None where no member has the penalty: decided here,
        # on the host, once
        n_train = self.data.x_train.shape[1]
        lam = [0.0 if self.model.convex() else c.effective_lam / n_train for c in cfgs]
        self.l1 = vec("l1") if any(c.l1 > 0 for c in cfgs) else None
        with_l2 = any(c.l2 > 0 or v > 0 for c, v in zip(cfgs, lam, strict=True))
        self.l2 = vec("l2") + torch.tensor(lam, device=dev) if with_l2 else None
        self.use_penalty = self.l1 is not None or self.l2 is not None
        self.opt = EnsembleAdamW(list(self.model.parameters()), lr, vec("wd"), self.cfg.betas, self.cfg.adam_eps)
        # one stream for the minibatch order and one for dropout masks per member, so a member's
        # numbers do not depend on whether its ensemble mates use dropout
        self.gens = [torch.Generator(device=dev).manual_seed(c.seed + RNG_OFFSET) for c in cfgs]
        self.dropout_gens = [torch.Generator(device=dev).manual_seed(c.seed + 2 * RNG_OFFSET) for c in cfgs]
        cfg = self.cfg
        self.log_epochs = log_epochs(cfg)
        idx = np.unique(np.linspace(0, len(self.log_epochs) - 1, cfg.n_snapshots).round().astype(int))
        self.snapshot_epochs = {self.log_epochs[i] for i in idx} if cfg.n_snapshots else set()
        self.rows: list[list[dict]] = [[] for _ in cfgs]
        self.diverged: list[int | None] = [None] * len(cfgs)
        self.epoch = 0
        self.resumed = False
        self.stop_requested = False
        self.seconds_before = 0.0
        self.t0 = time.perf_counter()

    # -- the loop ---------------------------------------------------------------------------------
    def fit(self) -> list[RunResult]:
        """Train to the last epoch (or until every member diverged, or a stop is requested)."""
        try:
            for cb in self.callbacks:
                cb.on_start(self)
            self.t0 = time.perf_counter()
            if not self.resumed:
                self.log()
            for epoch in range(self.epoch + 1, self.cfg.epochs + 1):
                self.train_epoch()
                self.epoch = epoch
                if epoch in self.log_epochs:
                    self.log()
                    if all(d is not None for d in self.diverged):
                        break
                for cb in self.callbacks:
                    cb.on_epoch_end(self)
                if self.stop_requested:
                    where = "".join(cb.on_stop(self) for cb in self.callbacks)
                    raise KeyboardInterrupt(f"training stopped at epoch {self.epoch}{where}")
            results = self.results()
            for cb in self.callbacks:
                cb.on_end(self, results)
            return results
        finally:
            for cb in self.callbacks:
                cb.on_close(self)

    def request_stop(self) -> None:
        """Stop after this epoch: callbacks save a resumable state, then ``fit`` raises
        ``KeyboardInterrupt`` naming the epoch (what Ctrl-C does)."""
        self.stop_requested = True

    def train_epoch(self) -> None:
        """One epoch: one full-batch step, or one step per minibatch in each member's own order."""
        self.model.train()
        x_train, y_train = self.data.x_train, self.data.y_train
        n = x_train.shape[1]
        bs = self.cfg.batch_size
        with self.precision():
            if bs == 0 or bs >= n:
                self.step_path.step(self, x_train, y_train, full_batch=True)
                return
            perms = torch.stack([torch.randperm(n, generator=g, device=self.device) for g in self.gens])
            for s in range(0, n, bs):
                idx = perms[:, s:s + bs]
                xb = torch.gather(x_train, 1, idx.view(*idx.shape, *([1] * (x_train.dim() - 2)))
                                  .expand(-1, -1, *x_train.shape[2:]))
                self.step_path.step(self, xb, torch.gather(y_train, 1, idx), full_batch=False)

    @torch.no_grad()
    def log(self) -> None:
        """Evaluate every member on its subsets (train, clean, facts, test) and record a row; a
        member whose losses or weights stop being finite is marked diverged at this epoch.

        The only place the loop waits for the device: the metrics and norms are computed there
        and come back in one transfer (``metrics.member_rows``)."""
        self.model.eval()
        d = self.data
        with self.precision(), self.autocast():
            lt = self.step_path.train_logits(self)
            ls = self.model(d.x_test)
        values = subset_metric_tensors(lt.float(), d.y_train, d.y_true, d.is_fact, ls.float(), d.y_test,
                                       self.cfg.loss)
        norms = self.model.weight_norms()
        values |= {"norm_in": norms[:, 0], "norm_out": norms[:, 1]}
        for i, m in enumerate(member_rows(values)):
            if self.diverged[i] is not None:
                continue
            if not all(m[k] is not None and np.isfinite(m[k]) for k in ("train_loss", "test_loss", "norm_in")):
                self.diverged[i] = self.epoch
                continue
            self.rows[i].append({"epoch": self.epoch, **m})
        for cb in self.callbacks:
            cb.on_log(self, self.epoch)

    # -- pieces the step paths use ----------------------------------------------------------------
    def precision(self) -> contextlib.AbstractContextManager:
        """TF32 tensor cores for CUDA's float32 matmuls when the config says ``tfloat32``, for the
        epoch or log pass only (``runtime.cuda_matmul_precision`` restores the setting after)."""
        return cuda_matmul_precision("tf32" if self.cfg.dtype == "tfloat32" else None)

    def autocast(self) -> contextlib.AbstractContextManager:
        """bfloat16 autocast when the config asks for it (matmuls in bf16, fp32 master weights)."""
        if self.cfg.dtype == "bfloat16":
            return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def dropout_masks(self, n: int) -> torch.Tensor | None:
        """Keep-masks (M, n, N) scaled by 1/keep from each member's dropout stream, or None."""
        if not self.model.uses_dropout:
            return None
        width = self.cfg.width
        masks = [(torch.rand(n, width, generator=g, device=self.device) >= c.dropout).float() / (1 - c.dropout)
                 for g, c in zip(self.dropout_gens, self.cfgs, strict=True)]
        return torch.stack(masks)

    # -- state and results ------------------------------------------------------------------------
    @property
    def seconds(self) -> float:
        """Training wall time so far, kept across resumes."""
        return self.seconds_before + time.perf_counter() - self.t0

    def state(self, i: int) -> dict[str, Any]:
        """Everything member i's next epoch depends on: parameters and buffers (BatchNorm
        statistics), the optimizer's moments and step count, both RNG streams (minibatch order,
        dropout), and the logged rows, so a resumed run is bit-identical to an uninterrupted one."""
        params = {k: v[i].detach().cpu().clone() for k, v in self.model.state_dict().items()}
        return {"epoch": self.epoch, "params": params, "opt": self.opt.member_state(i),
                "rng": self.gens[i].get_state(), "dropout_rng": self.dropout_gens[i].get_state(),
                "rows": self.rows[i], "seconds": self.seconds, "diverged": self.diverged[i],
                "config": self.cfgs[i].to_dict()}

    def load_states(self, states: list[dict[str, Any]]) -> None:
        """Inverse of ``state`` for every member (all saved at one epoch)."""
        sd = self.model.state_dict()
        with torch.no_grad():
            for i, st in enumerate(states):
                for k, v in st["params"].items():
                    sd[k][i].copy_(v)
                self.opt.load_member_state(i, st["opt"])
                self.gens[i].set_state(st["rng"])
                if "dropout_rng" in st:
                    self.dropout_gens[i].set_state(st["dropout_rng"])
                self.rows[i] = list(st["rows"])
                self.diverged[i] = st.get("diverged")
        self.epoch = states[0]["epoch"]
        self.seconds_before = states[0]["seconds"]
        self.t0 = time.perf_counter()
        self.resumed = True

    def summary(self, i: int, status: str) -> dict[str, Any]:
        """Member i's ``summary.json``: status, length, time, sizes and the final metrics."""
        rows, diverged = self.rows[i], self.diverged[i]
        last = rows[-1] if rows else {}
        summary = {
            "status": "diverged" if diverged is not None else status,
            "diverged_epoch": diverged,
            "epochs": self.epoch if diverged is None else diverged,
            "seconds": round(self.seconds, 3),
            "ensemble_size": len(self.cfgs),
            "n_train": int(self.data.x_train.shape[1]),
            "n_test": int(self.data.x_test.shape[1]),
            "n_facts": self.data.n_facts[i],
            **grokking_times(rows),
        }
        for k in METRIC_NAMES:  # the last logged row's metrics (None once diverged)
            if k in SUMMARY_KEYS:
                summary[k] = None if diverged is not None else last.get(k)
        for k, acc in (("e_gen", "test_acc"), ("e_mem", "facts_memorized")):
            summary[k] = None if summary[acc] is None else 1.0 - summary[acc]
        summary["seed"] = self.cfgs[i].seed
        return {k: summary[k] for k in SUMMARY_KEYS}  # the declared keys, in their order

    def results(self) -> list[RunResult]:
        return [RunResult(cfg, self.summary(i, "completed"), self.rows[i], self.model.member_weights(i))
                for i, cfg in enumerate(self.cfgs)]


def log_epochs(cfg: TrainConfig) -> list[int]:
    """The epochs a run of ``cfg`` evaluates and logs: 0, every ``log_every``, and the last."""
    return sorted({0, *range(cfg.log_every, cfg.epochs + 1, cfg.log_every), cfg.epochs})


def grokking_times(rows: list[dict[str, Any]], level: float = 0.99) -> dict[str, int | None]:
    """First logged epochs at which train and test accuracy reach ``level``, and the delay
    between them (the grokking delay of Power et al. 2022; PAIR's "generalization long after
    memorization")."""
    def first(key: str) -> int | None:
        return next((r["epoch"] for r in rows if r.get(key) is not None and r[key] >= level), None)

    t_train, t_test = first("train_acc"), first("test_acc")
    delay = t_test - t_train if t_train is not None and t_test is not None else None
    return {"epoch_train_99": t_train, "epoch_test_99": t_test, "grok_delay": delay}


# -- the Python API -----------------------------------------------------------------------------------
def train(cfg: TrainConfig, out: Path | str | None = None, *, progress: bool = True, resume: bool = False,
          overwrite: bool = False, step: StepPath | None = None, callbacks: Sequence[Callback] = ()) -> RunResult:
    """Train one model (an ensemble of one). Writes a run folder when ``out`` is given."""
    return train_ensemble([cfg], [out] if out is not None else None, progress=progress, resume=resume,
                          overwrite=overwrite, step=step, callbacks=callbacks)[0]


def train_ensemble(cfgs: list[TrainConfig], out_dirs: list[Path | str] | None = None, *,
                   progress: bool = True, resume: bool = False, overwrite: bool = False,
                   step: StepPath | None = None, callbacks: Sequence[Callback] = (),
                   keep_state: bool = True) -> list[RunResult]:
    """Train all ``cfgs`` together (they must share ``ensemble_key``). With ``out_dirs`` (one
    folder per config), each run is written to its folder, which this process locks meanwhile; a
    folder holding a run is refused unless ``resume`` (runs continue bit-exactly from their
    checkpoints, finished runs are returned without work) or ``overwrite`` (its files are removed
    first). ``progress``: show a progress bar on stderr. ``step``, ``callbacks``: see ``Trainer``.
    ``keep_state``: each finished folder keeps ``final_state.pt`` for ``train --continue`` / ``--from``."""
    if not cfgs:
        return []
    check_ensemble(cfgs)  # config errors before any folder is made
    # the bar last: what the user's hooks print at the start comes before it
    hooks: list[Callback] = [InterruptHandler(), *callbacks, *([ProgressBar()] if progress else [])]
    if out_dirs is None:
        return fit_or_explain(cfgs, step, hooks)
    dirs = [Path(d) for d in out_dirs]
    if len(dirs) != len(cfgs):
        raise ValueError("out_dirs must have one folder per config")
    with claim_folders(dirs, resume=resume, overwrite=overwrite):
        if resume and (done := completed_runs(dirs, cfgs)) is not None:
            return done  # nothing left to do: rerunning a finished run is free
        writer = RunFolderWriter(dirs, resume, keep_state=keep_state)  # first: the others start from the restored epoch
        return fit_or_explain(cfgs, step, [writer, *hooks])


def fit_or_explain(cfgs: list[TrainConfig], step: StepPath | None, callbacks: list[Callback]) -> list[RunResult]:
    """``Trainer(...).fit()``, with torch's allocation failure (a ``RuntimeError`` of many lines, in
    building the model or in a step) as one ``RulesfactsError`` that says what to shrink."""
    try:
        return Trainer(cfgs, step=step, callbacks=callbacks).fit()
    except RuntimeError as e:
        if not is_out_of_memory(e):
            raise
        asked = re.search(r"allocate ([\d.]+ ?[KMGT]?i?B|\d+ bytes)", str(e))
        detail = f"an allocation of {asked.group(1)} failed" if asked else one_line(str(e))[:120]
        where = resolve_device(cfgs[0].device).type
        raise RulesfactsError(f"out of memory on {where} ({detail}); try a smaller width, p, batch or "
                              "ensemble") from None


def is_out_of_memory(e: BaseException) -> bool:
    text = str(e)
    return isinstance(e, torch.OutOfMemoryError) or "DefaultCPUAllocator" in text or "out of memory" in text
