"""Where computation runs and where human-readable output goes."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

from rich.console import Console

from rulesfacts.errors import ConfigError

if TYPE_CHECKING:
    import torch


def resolve_device(name: str) -> torch.device:
    """"auto" → CUDA when present, else CPU; "cuda" without a GPU is a config error."""
    import torch  # here, so that torch-free code (theory, progress bars) does not pay for it

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device", name, "'cpu' or 'auto' on this machine (no CUDA device found)")
    return torch.device(name)


def bf16_native(device_type: str, cpu_flags: str | None = None) -> bool:
    """Whether this machine computes bfloat16 matmuls in hardware: CUDA devices do; a CPU does
    with the AVX512_BF16 or AMX_BF16 instructions (``flags`` of /proc/cpuinfo, or ``cpu_flags``).
    Elsewhere bf16 is emulated through fp32 with conversions, slower than plain fp32
    (docs/performance.md)."""
    if device_type != "cpu":
        return True
    if cpu_flags is None:
        try:
            with open("/proc/cpuinfo") as f:
                cpu_flags = next((line for line in f if line.startswith("flags")), "")
        except OSError:
            return True  # not Linux: no way to tell, and no warning on a guess
    flags = set(cpu_flags.split())
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def require_compiler(device: torch.device) -> None:
    """``compile = true`` on the CPU makes inductor write C++ and build it: without a compiler that
    fails deep inside torch at the first step, so say it up front, in one line."""
    if device.type == "cpu" and not (os.environ.get("CXX") or any(map(shutil.which, ("g++", "clang++", "c++")))):
        raise ConfigError("compile", True, "false on a machine without a C++ compiler (g++ or clang++ on PATH, "
                                           "or CXX set)")


@contextlib.contextmanager
def cuda_matmul_precision(precision: str | None) -> Iterator[None]:
    """CUDA float32 matmuls in ``precision`` for the block ("tf32": TensorFloat-32 tensor cores,
    10-bit mantissa products with float32 accumulation; "ieee": plain float32), then the previous
    setting back; None leaves it as it is. torch keeps this as process-wide state, so it is set
    per call and restored, never left flipped. CPU matmuls are not affected."""
    import torch

    if precision is None:
        yield
        return
    matmul = torch.backends.cuda.matmul
    before = matmul.fp32_precision
    matmul.fp32_precision = precision
    try:
        yield
    finally:
        matmul.fp32_precision = before


def cuda_devices() -> int:
    """How many CUDA devices this process sees (0 without CUDA)."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` torch threads (None: leave as is), then restore. Many small tensor
    operations (constructions, small ensembles) run faster on one thread than on two that share
    a busy 2-core machine (measured 3-10×)."""
    import torch

    old = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


@functools.cache
def package_version() -> str:
    """The installed rulesfacts version (its distribution metadata), written into run folders and
    reports; "unknown" for a source tree that was never installed. Read here, at the bottom
    layer, so that no module has to import the package root (which imports the trainer)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rulesfacts")
    except PackageNotFoundError:
        return "unknown"


@functools.cache
def stderr_console() -> Console:
    """Progress bars and logs go to stderr, so stdout stays clean for ``--json``."""
    return Console(stderr=True)


T = TypeVar("T")


@contextlib.contextmanager
def progress(total: int, label: str, enabled: bool = True, transient: bool = True,
             ) -> Iterator[Callable[[int], None]]:
    """The one progress bar: rich, on stderr, ``total`` units; yields ``advance(n=1)``, a no-op
    when disabled. Every long loop in the package (training aside) reports through it."""
    if not enabled or total <= 0:
        yield lambda n=1: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=stderr_console(), transient=transient) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n=1: bar.advance(task, n)


def track(items: Iterable[T], label: str, enabled: bool = True) -> Iterator[T]:
    """Iterate over ``items`` behind a ``progress`` bar."""
    items = list(items)
    with progress(len(items), label, enabled) as advance:
        for item in items:
            yield item
            advance()
