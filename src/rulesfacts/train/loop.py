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

from rulesfacts.errors import ConfigError, DataFileError
from rulesfacts.io import ensure_writable_dir, read_json
from rulesfacts.models import build_model
from rulesfacts.models.fused import CompiledKernels
from rulesfacts.runtime import require_compiler, resolve_device
from rulesfacts.tasks import make_split
from rulesfacts.train import rundir
from rulesfacts.train.config import HOW_FIELDS, TrainConfig, ensemble_key
from rulesfacts.train.losses import member_loss, penalty, penalty_grads
from rulesfacts.train.metrics import subset_metrics
from rulesfacts.train.optim import EnsembleAdamW

RNG_OFFSET = 1_000_003  # dropout / minibatch stream: independent of the init stream
# Hand-written forward/backward (EnsembleMLP.manual_grads) where the graph allows it; False forces
# autograd everywhere (tests and benchmarks compare the two).
USE_MANUAL_GRADS = True
# Besides the snapshot epochs, save a checkpoint at least this often, so a SIGKILL loses at most
# about this much work (a save costs milliseconds for the paper's sizes).
CHECKPOINT_SECONDS = 60.0


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
    device = resolve_device(cfgs[0].device)  # config errors before any folder is made
    if cfgs[0].compile:
        require_compiler(device)
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
        if cfg.compile and self._manual():  # the hand-written path, one compiled graph per block
            self.model.kernels = CompiledKernels()
        elif cfg.compile:
            # fuses the autograd graph's elementwise work: 1.4-1.7x per epoch measured here
            # (benchmarks/RESULTS.md). A sweep worker trains ensembles one after another: drop the
            # previous ensemble's graphs, or dynamo's per-function recompile limit silently sends
            # later ones to eager.
            torch._dynamo.reset()
            self.model.forward = torch.compile(self.model.forward, dynamic=False)
        vec = lambda name: torch.tensor([float(getattr(c, name)) for c in cfgs], device=dev)  # noqa: E731
        lr = torch.tensor([c.effective_lr for c in cfgs], device=dev)
        self.l1, self.l2 = vec("l1"), vec("l2")
        self.use_penalty = bool((self.l1 > 0).any() or (self.l2 > 0).any())
        self.opt = EnsembleAdamW(list(self.model.parameters()), lr, vec("wd"), cfg.betas, cfg.eps)
        # one stream for the minibatch order and one for dropout masks per member, so a member's
        # numbers do not depend on whether its ensemble mates use dropout
        self.gens = [torch.Generator(device=dev).manual_seed(c.seed + RNG_OFFSET) for c in cfgs]
        self.dropout_gens = [torch.Generator(device=dev).manual_seed(c.seed + 2 * RNG_OFFSET) for c in cfgs]
        self.log_epochs = sorted({0, *range(cfg.log_every, cfg.epochs + 1, cfg.log_every), cfg.epochs})
        idx = np.unique(np.linspace(0, len(self.log_epochs) - 1, cfg.n_snapshots).round().astype(int))
        self.snapshot_epochs = {self.log_epochs[i] for i in idx} if cfg.n_snapshots else set()
        self.rows: list[list[dict]] = [[] for _ in cfgs]
        # hand-written path: (optimizer step, train logits) of the last log pass, reused by the next
        # full-batch step; and the flat w_in rows of the training tokens (fixed for the whole run)
        self._logits_cache: tuple[int, torch.Tensor] | None = None
        self._rows_cache: torch.Tensor | None = None
        self.diverged: list[int | None] = [None] * len(cfgs)
        self.epoch = 0
        self.seconds_before = 0.0
        self.t0 = self.last_save = time.perf_counter()
        self.autocast = (torch.autocast(device_type=dev.type, dtype=torch.bfloat16)
                         if cfg.dtype == "bfloat16" else contextlib.nullcontext())

    # -- main loop ---------------------------------------------------------------------------
    def run(self, resume: bool) -> list[RunResult]:
        """Train to the end. With ``resume``, continue bit-exactly from the folders' checkpoints;
        otherwise (or with nothing to resume) clear what an earlier run left there first."""
        restored = False
        if self.dirs is not None:
            if resume and (done := self._completed()) is not None:
                return done  # nothing left to do: rerunning a finished run is free
            restored = resume and self._restore()
            for d, c in zip(self.dirs, self.cfgs, strict=True):
                rundir.remove_temp_files(d)
                if not restored:
                    rundir.clear_run_files(d)
                rundir.write_config(d, c)
        self.t0 = self.last_save = time.perf_counter()
        with _deferred_interrupt() as interrupted, _progress_bar(self.progress, self.cfg.epochs, len(self.cfgs)) as bar:
            if not restored:
                self._log(0)
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
                    self._interrupt()
                if self.dirs is not None and epoch < self.cfg.epochs \
                        and time.perf_counter() - self.last_save > CHECKPOINT_SECONDS:
                    self._save_state("running")  # bound the work a SIGKILL can lose
        self._tick()
        return self._finish()

    def _interrupt(self) -> None:
        """Ctrl-C / SIGTERM between epochs: save a resumable state, then stop."""
        where = ""
        if self.dirs is not None:
            self._save_state("interrupted")
            where = f"; state saved in {self.dirs[0]}{' and others' if len(self.dirs) > 1 else ''}"
        raise KeyboardInterrupt(f"training stopped at epoch {self.epoch}{where}")

    def _tick(self) -> None:
        """Move the wall time since the last tick into ``seconds_before`` (kept across resumes)."""
        now = time.perf_counter()
        self.seconds_before += now - self.t0
        self.t0 = now

    def _train_epoch(self) -> None:
        self.model.train()
        n = self.x_train.shape[1]
        bs = self.cfg.batch_size
        if bs == 0 or bs >= n:
            self._step(self.x_train, self.y_train, full_batch=True)
            return
        perms = torch.stack([torch.randperm(n, generator=g, device=self.device) for g in self.gens])
        for s in range(0, n, bs):
            idx = perms[:, s:s + bs]
            xb = torch.gather(self.x_train, 1, idx.view(*idx.shape, *([1] * (self.x_train.dim() - 2)))
                              .expand(-1, -1, *self.x_train.shape[2:]))
            self._step(xb, torch.gather(self.y_train, 1, idx))

    def _manual(self) -> bool:
        return USE_MANUAL_GRADS and getattr(self.model, "supports_manual_grads", lambda: False)()

    def _step(self, x: torch.Tensor, y: torch.Tensor, full_batch: bool = False) -> None:
        self.opt.zero_grad()
        if self._manual():
            # full batch: the train logits of the last log pass are this step's forward (same weights)
            cached = self._logits_cache
            logits = cached[1] if full_batch and cached is not None and cached[0] == self.opt.t else None
            self._logits_cache = None
            rows = self._train_rows() if full_batch else self.model.token_rows(x)
            self.model.manual_grads(rows, y, self.cfg.loss, logits=logits, bf16=self.cfg.dtype == "bfloat16",
                                    static_rows=full_batch)
            if self.use_penalty:
                penalty_grads(self.opt.params, self.l1, self.l2)
            self.opt.step()
            return
        masks = self._dropout_masks(x.shape[1])
        with self.autocast:
            logits = self.model(x, masks)
        loss = member_loss(logits.float(), y, self.cfg.loss)
        if self.use_penalty:
            loss = loss + penalty(self.opt.params, self.l1, self.l2)
        loss.sum().backward()
        self.opt.step()

    def _train_rows(self) -> torch.Tensor:
        """Flat ``w_in`` row numbers of the training tokens, computed once (the set never changes)."""
        if self._rows_cache is None:
            self._rows_cache = self.model.token_rows(self.x_train)
        return self._rows_cache

    def _dropout_masks(self, n: int) -> torch.Tensor | None:
        if not getattr(self.model, "use_dropout", False):
            return None
        rates = [c.dropout for c in self.cfgs]
        width = self.cfg.width
        masks = [(torch.rand(n, width, generator=g, device=self.device) >= r).float() / (1 - r)
                 for g, r in zip(self.dropout_gens, rates, strict=True)]
        return torch.stack(masks)

    # -- logging -----------------------------------------------------------------------------
    @torch.no_grad()
    def _log(self, epoch: int) -> None:
        self.model.eval()
        with self.autocast:
            if self._manual():
                lt = self.model.blocked_logits(self.x_train, rows=self._train_rows())
                self._logits_cache = (self.opt.t, lt)  # reused by the next full-batch step
            else:
                lt = self.model(self.x_train)
            ls = self.model(self.x_test)
        metrics = subset_metrics(lt.float(), self.y_train, self.y_true, self.is_fact, ls.float(), self.y_test,
                                 self.cfg.loss)
        norms = self._weight_norms()
        for i, m in enumerate(metrics):
            if self.diverged[i] is not None:
                continue
            if not all(m[k] is not None and np.isfinite(m[k]) for k in ("train_loss", "test_loss")) \
                    or not np.isfinite(norms[i]["norm_in"]):
                self.diverged[i] = epoch
                continue
            self.rows[i].append({"epoch": epoch, **m, **norms[i]})
        if self.on_log is not None:
            self.on_log(epoch, [r[-1] if r else {} for r in self.rows])
        if epoch in self.snapshot_epochs and self.dirs is not None:
            self._save_state("running", snapshot=True)

    def _weight_norms(self) -> list[dict[str, float]]:
        """Squared weight norms per member, each parameter reduced over all members at once."""
        model = self.model

        def per_member(params: list[torch.Tensor]) -> list[float]:
            total = sum(q.detach().float().pow(2).flatten(1).sum(1) for q in params)
            return total.tolist() if isinstance(total, torch.Tensor) else [0.0] * len(self.cfgs)

        if hasattr(model, "w_in"):
            ins, outs = per_member([model.w_in]), per_member([model.w_out])
        else:
            ins, outs = per_member(list(model.parameters())), [0.0] * len(self.cfgs)
        return [{"norm_in": a, "norm_out": b} for a, b in zip(ins, outs, strict=True)]

    # -- persistence -------------------------------------------------------------------------
    def _member_weights(self, i: int) -> dict[str, np.ndarray]:
        return self.model.member_weights(i)

    def _save_state(self, status: str, snapshot: bool = False) -> None:
        """Write every member's folder so that it is valid and resumable at this epoch. Order per
        file kind: data first, checkpoint next, summary last (a SIGKILL in between leaves files
        that are each whole; resume recomputes whatever is ahead of the checkpoint)."""
        assert self.dirs is not None
        self._tick()
        for i, d in enumerate(self.dirs):
            if snapshot and self.diverged[i] is None:  # no NaN weights among the snapshots
                rundir.write_weights(rundir.snapshot_path(d, self.epoch), self._member_weights(i), np.float16)
            rundir.write_metrics(d, self.rows[i])
            rundir.save_checkpoint(d, self._checkpoint(i))
            rundir.write_summary(d, self._summary(i, status))
        self.last_save = time.perf_counter()

    def _checkpoint(self, i: int) -> dict[str, Any]:
        """Everything the next epoch depends on: parameters and buffers (BatchNorm statistics),
        the optimizer's moments and step count, both RNG streams (minibatch order, dropout), and
        the logged rows, so a resumed run is bit-identical to an uninterrupted one."""
        params = {k: v[i].detach().cpu().clone() for k, v in self.model.state_dict().items()}
        return {"epoch": self.epoch, "params": params, "opt": self.opt.member_state(i),
                "rng": self.gens[i].get_state(), "dropout_rng": self.dropout_gens[i].get_state(),
                "rows": self.rows[i], "seconds": self.seconds_before, "diverged": self.diverged[i],
                "config": self.cfgs[i].to_dict()}

    def _restore(self) -> bool:
        """Load the folders' checkpoints; False when there is nothing consistent to resume from
        (no checkpoint, or an ensemble's members saved at different epochs): start over then.

        A checkpoint written for another config is an error rather than a silent restart, since
        restarting would overwrite the work the user asked to continue."""
        assert self.dirs is not None
        states = [rundir.load_checkpoint(d) for d in self.dirs]
        for d, st, c in zip(self.dirs, states, self.cfgs, strict=True):
            if st is not None and _config_diff(st["config"], c.to_dict()):
                name, old, new = _config_diff(st["config"], c.to_dict())
                raise DataFileError(d / rundir.CHECKPOINT,
                                    f"saved for {name}={old!r}, but this run has {name}={new!r}; resume with "
                                    "the run's own settings, or drop --resume to start over")
        if any(st is None for st in states) or len({st["epoch"] for st in states}) != 1:
            return False
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
        return True

    def _completed(self) -> list[RunResult] | None:
        """The folders' results when every one holds a completed run of its config (no checkpoint
        left, weights written), else None."""
        assert self.dirs is not None
        results = []
        for d, cfg in zip(self.dirs, self.cfgs, strict=True):
            summary_path = d / rundir.SUMMARY
            if (d / rundir.CHECKPOINT).exists() or not (d / rundir.WEIGHTS).is_file() or not summary_path.is_file():
                return None
            summary = read_json(summary_path)
            if not isinstance(summary, dict) or summary.get("status") not in ("completed", "diverged"):
                return None
            if diff := _config_diff(rundir.read_config(d).to_dict(), cfg.to_dict()):
                raise DataFileError(d / rundir.CONFIG, f"the finished run has {diff[0]}={diff[1]!r}, this one "
                                    f"{diff[0]}={diff[2]!r}; drop --resume to start over")
            metrics = rundir.read_metrics(d)
            rows = [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
                    for r in metrics.astype(object).to_dict("records")]
            results.append(RunResult(cfg, summary, rows, rundir.load_npz(d / rundir.WEIGHTS), d))
        return results

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


def _config_diff(saved: dict[str, Any], current: dict[str, Any]) -> tuple[str, Any, Any] | None:
    """The first field (other than free-form ``extra`` and the ``HOW_FIELDS``) on which two config
    dicts differ."""
    for name in sorted((set(saved) | set(current)) - HOW_FIELDS - {"extra"}):
        if saved.get(name) != current.get(name):
            return name, saved.get(name), current.get(name)
    return None


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
    """Turn Ctrl-C (and SIGTERM, as sent by schedulers and ``kill``) into a flag checked between
    epochs, so the state saved is consistent. A second Ctrl-C stops at once: the folder then
    holds the last checkpoint, still valid since every file is written atomically."""
    hit = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield hit.is_set
        return

    def handler(signum: int, frame: Any) -> None:
        if hit.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt("stopped at once by a second Ctrl-C; the last checkpoint is kept")
        hit.set()

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield hit.is_set
    finally:
        for sig, prev in previous.items():
            signal.signal(sig, prev)


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
