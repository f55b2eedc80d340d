"""What happens around the training loop, as callbacks: progress display, interrupt handling, and
(``training/runfolder.py``) the run-folder writer. A callback overrides the hooks it needs:

    on_start(trainer)               before the first epoch (after any resume)
    on_log(trainer, epoch)          after the metrics of a log epoch are recorded
    on_epoch_end(trainer)           after every epoch; may call ``trainer.request_stop()``
    on_stop(trainer) -> str         when a stop was requested: save what is needed, say where
    on_end(trainer, results)        after the last epoch, with the final results
    on_close(trainer)               always, last (release signal handlers, close displays)

``TensorBoardLogger`` exports the logged metrics as TensorBoard event files.

Tests inject faults through the same hooks (e.g. a callback that requests a stop at epoch 3).
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rulesfacts.errors import ConfigError
from rulesfacts.io import ensure_writable_dir
from rulesfacts.runtime import stderr_console

if TYPE_CHECKING:
    from rulesfacts.training.result import RunResult
    from rulesfacts.training.trainer import Trainer


class Callback:
    """No-op hooks; subclasses override what they need."""

    def on_start(self, trainer: Trainer) -> None: ...

    def on_log(self, trainer: Trainer, epoch: int) -> None: ...

    def on_epoch_end(self, trainer: Trainer) -> None: ...

    def on_stop(self, trainer: Trainer) -> str:
        return ""

    def on_end(self, trainer: Trainer, results: list[RunResult]) -> None: ...

    def on_close(self, trainer: Trainer) -> None: ...


class StopAt(Callback):
    """Request a stop after ``epoch`` epochs, as a Ctrl-C at that point would (tests, notebooks)."""

    def __init__(self, epoch: int):
        self.epoch = epoch

    def on_epoch_end(self, trainer: Trainer) -> None:
        if trainer.epoch >= self.epoch:
            trainer.request_stop()


class OnLog(Callback):
    """Call ``fn(epoch, rows)`` at every log epoch with each member's latest metrics row."""

    def __init__(self, fn: Callable[[int, list[dict[str, Any]]], None]):
        self.fn = fn

    def on_log(self, trainer: Trainer, epoch: int) -> None:
        self.fn(epoch, [r[-1] if r else {} for r in trainer.rows])


@contextlib.contextmanager
def deferred_interrupt() -> Iterator[Callable[[], bool]]:
    """Turn Ctrl-C (and SIGTERM, as sent by schedulers and ``kill``) into a flag checked between
    epochs, so the state saved is consistent. A second Ctrl-C stops at once: the folder then holds
    the last checkpoint, still valid since every file is written atomically. Outside the main
    thread (where handlers cannot be installed) the flag never rises."""
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


class InterruptHandler(Callback):
    """Ctrl-C / SIGTERM request a stop at the end of the current epoch (``deferred_interrupt``)."""

    def __init__(self) -> None:
        self.stack = contextlib.ExitStack()
        self.interrupted: Callable[[], bool] = lambda: False

    def on_start(self, trainer: Trainer) -> None:
        self.interrupted = self.stack.enter_context(deferred_interrupt())

    def on_epoch_end(self, trainer: Trainer) -> None:
        if self.interrupted():
            trainer.request_stop()

    def on_close(self, trainer: Trainer) -> None:
        self.stack.close()


class ProgressBar(Callback):
    """The trainer's bar on stderr: epochs done, ensemble size, the first member's accuracies."""

    def __init__(self) -> None:
        self.display: Any = None
        self.task: Any = None

    def on_start(self, trainer: Trainer) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        columns = (TextColumn("[bold]train[/] M={task.fields[m]}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[info]}"), TimeRemainingColumn())
        self.display = Progress(*columns, console=stderr_console(), transient=True)
        self.display.start()
        self.task = self.display.add_task("train", total=trainer.cfg.epochs, m=len(trainer.cfgs), info="",
                                           completed=trainer.epoch)

    def on_log(self, trainer: Trainer, epoch: int) -> None:
        row = trainer.rows[0][-1] if trainer.rows[0] else None
        info = f"train {row['train_acc']:.3f} test {row['test_acc']:.3f}" if row else ""
        self.display.update(self.task, completed=epoch, info=info)

    def on_close(self, trainer: Trainer) -> None:
        if self.display is not None:
            self.display.stop()


class TensorBoardLogger(Callback):
    """Write every logged metric (the columns of ``metrics.csv``) as TensorBoard scalars, step =
    epoch, for users who follow their runs in TensorBoard. One event folder per member: ``log_dir``
    itself for a single run, ``log_dir/<name>`` for an ensemble (``names``, default ``member_<i>``).
    Needs the optional package ``tensorboard`` (``pip install 'rulesfacts[tensorboard]'``); the
    events are written by ``torch.utils.tensorboard``. Non-finite values (a diverged run) are
    left out rather than written as NaN."""

    def __init__(self, log_dir: Path | str, names: Sequence[str] | None = None):
        import importlib.util

        if importlib.util.find_spec("tensorboard") is None:
            raise ConfigError("tensorboard", str(log_dir), "needs the optional package tensorboard: "
                              "pip install 'rulesfacts[tensorboard]'")
        self.log_dir = ensure_writable_dir(Path(log_dir))
        self.names = list(names) if names is not None else None
        self.writers: list[Any] = []

    def on_start(self, trainer: Trainer) -> None:
        from torch.utils.tensorboard import SummaryWriter

        n = len(trainer.cfgs)
        names = self.names or ([""] if n == 1 else [f"member_{i}" for i in range(n)])
        if len(names) != n:
            raise ConfigError("names", names, f"one name per member ({n})")
        self.writers = [SummaryWriter(str(self.log_dir / name) if name else str(self.log_dir)) for name in names]
        for writer, cfg in zip(self.writers, trainer.cfgs, strict=True):
            writer.add_text("config", "\n".join(f"    {k} = {v!r}" for k, v in cfg.to_dict().items()))

    def on_log(self, trainer: Trainer, epoch: int) -> None:
        for writer, rows in zip(self.writers, trainer.rows, strict=True):
            for key, value in (rows[-1] if rows else {}).items():
                if key != "epoch" and isinstance(value, (int, float)) and math.isfinite(value):
                    writer.add_scalar(key, value, epoch)

    def on_close(self, trainer: Trainer) -> None:
        for writer in self.writers:
            writer.close()
        self.writers = []
