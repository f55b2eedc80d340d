"""Run groups of configs: batched ensembles, spread over local processes or Ray tasks.

Configs with the same ``ensemble_key`` (same shapes and graph) train together in one
``train_ensemble`` call; a group is capped in members and in estimated memory. Groups are the
unit of work: a local process pool runs one group per worker process (``torch`` pinned to
``threads`` intra-op threads, 1 by default: on these small models two processes finish more
runs per minute than one process with two threads, see docs/sweeps.md), Ray runs each group as
one ``ray.remote`` task. No scheduler of our own beyond that.

On CUDA (``Devices``) the shape changes: one worker per GPU, each pinned to its own device, and
groups as large as a GPU's memory holds (``group_caps``), since a GPU runs one large batched
ensemble far faster than several small ones side by side; Ray asks one GPU per task.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import signal
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rulesfacts.config.train import TrainConfig, ensemble_key
from rulesfacts.errors import ConfigError, RulesfactsError
from rulesfacts.tasks import train_count

FLOAT_BYTES = 4
# Training keeps the parameters, their gradients and two AdamW moments; activations (pre-
# activation, hidden, logits and their gradients) scale with the examples seen per step.
PARAM_COPIES = 4
ACTIVATION_COPIES = 4


def member_bytes(cfg: TrainConfig) -> int:
    """A rough upper estimate of one member's training memory, used to cap a group (on a GPU it
    decides the group's size: tests/sweep/test_devices.py checks it against a measured peak)."""
    if cfg.task == "modular":
        n_in, n_out, n_data = 2 * cfg.p, cfg.p, cfg.p * cfg.p
    else:
        n_in, n_out, n_data = cfg.n_bits, 2, cfg.train_size + cfg.test_size
    width = {"mlp": cfg.width, "tied": max(cfg.width, cfg.d_embed)}.get(cfg.model, 4 * cfg.d_model)
    params = width * (n_in + n_out)
    step = (cfg.batch_size or train_count(cfg))
    activations = max(step, n_data) * (2 * width + n_out)
    return FLOAT_BYTES * (PARAM_COPIES * params + ACTIVATION_COPIES * activations)


@dataclass(frozen=True)
class Devices:
    """Where a sweep's groups train: the CPU, or ``count`` CUDA devices with ``memory_mb`` each (the
    smallest of them; 0: not known here, e.g. a Ray cluster's GPUs seen from a driver without one)."""

    kind: str = "cpu"
    count: int = 0
    memory_mb: int = 0

    @property
    def cuda(self) -> bool:
        return self.kind == "cuda"


def sweep_devices(cfgs: list[TrainConfig], executor: str = "local") -> Devices:
    """The devices the configs' ``device`` names on this machine. A Ray sweep asking for "cuda" from a
    driver without a GPU trains on the cluster's GPUs, whose memory is not known here."""
    if not cfgs:
        return Devices()
    from rulesfacts.runtime import cuda_devices, resolve_device

    n = cuda_devices()
    if executor == "ray" and cfgs[0].device == "cuda" and n == 0:
        return Devices("cuda")
    if resolve_device(cfgs[0].device).type != "cuda":
        return Devices()
    import torch

    memory = min(torch.cuda.get_device_properties(i).total_memory for i in range(n))
    return Devices("cuda", n, memory // 2**20)


def group_caps(devices: Devices, max_ensemble: int, max_memory_mb: int, gpu_max_ensemble: int,
               gpu_memory_fraction: float) -> tuple[int, int]:
    """(most members, most estimated MB) of one group: the CPU's caps, or on CUDA as many members as
    ``gpu_memory_fraction`` of one GPU holds, up to ``gpu_max_ensemble`` (the CPU's memory cap where
    the GPU's memory is not known)."""
    if not devices.cuda:
        return max_ensemble, max_memory_mb
    return gpu_max_ensemble, int(devices.memory_mb * gpu_memory_fraction) if devices.memory_mb else max_memory_mb


def default_workers(devices: Devices, cpu_workers: int) -> int:
    """Parallel groups when the spec leaves ``workers`` at 0: one per GPU on CUDA (several processes on
    one GPU only take turns on it), else ``cpu_workers`` (one per core)."""
    return max(1, devices.count) if devices.cuda else cpu_workers


def gpu_slots(workers: int, gpus: int, visible: str | None = None) -> list[str]:
    """The ``CUDA_VISIBLE_DEVICES`` value of each of ``workers`` processes: GPUs in turn, named as
    this process sees them (``visible``: its own ``CUDA_VISIBLE_DEVICES``, if set)."""
    names = [v.strip() for v in visible.split(",") if v.strip()] if visible else [str(i) for i in range(gpus)]
    return [names[i % len(names)] for i in range(workers)]


def plan_groups(cfgs: list[TrainConfig], max_ensemble: int, max_memory_mb: int) -> list[list[int]]:
    """Indices of ``cfgs`` split into ensembles: same key, at most ``max_ensemble`` members and
    at most ``max_memory_mb`` of estimated memory each; order follows the first config of a key."""
    by_key: dict[tuple, list[int]] = {}
    for i, c in enumerate(cfgs):
        by_key.setdefault(ensemble_key(c), []).append(i)
    groups = []
    for idx in by_key.values():
        fit = max(1, (max_memory_mb * 2**20) // member_bytes(cfgs[idx[0]]))
        size = int(min(max_ensemble, fit))
        groups += [idx[s:s + size] for s in range(0, len(idx), size)]
    return groups


def run_group(cfg_dicts: list[dict[str, Any]], out_dirs: list[str], threads: int) -> list[dict[str, Any]]:
    """Train one group (in a worker process or Ray task); return each run's final summary.

    Runs resume from a consistent checkpoint left by an interrupted attempt, else start over.
    """
    import warnings

    from rulesfacts.errors import Note
    from rulesfacts.runtime import torch_threads
    from rulesfacts.training.trainer import train_ensemble

    # a rerun after a kill finds the killed attempt's stale locks: expected, not worth a line each
    with torch_threads(threads), warnings.catch_warnings():
        warnings.simplefilter("ignore", Note)
        cfgs = [TrainConfig.from_dict(d) for d in cfg_dicts]
        results = train_ensemble(cfgs, [Path(d) for d in out_dirs], progress=False, resume=True,
                                   keep_state=False)  # a sweep's runs: weights, not states (~3× their size)
    return [r.summary for r in results]


def _ignore_sigint(slots: Any = None) -> None:
    """Pool workers ignore Ctrl-C between groups; during training the trainer's own handler
    turns it into a checkpoint and a clean stop. ``slots``: a queue of ``gpu_slots``; each worker
    takes one and sees only that GPU (set before torch first touches CUDA)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if slots is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = slots.get()


def _die_with_parent() -> None:
    """Linux: have the kernel SIGKILL this worker when the sweep process dies (kill -9 included),
    so no orphan keeps training and writing run folders beside the rerun."""
    import ctypes
    import os
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


@contextlib.contextmanager
def sigint_ignored_by_children() -> Iterator[None]:
    """Start processes with SIGINT ignored: a disposition of SIG_IGN survives exec, and Python
    then installs no KeyboardInterrupt handler of its own, so a Ctrl-C to the process group while
    a worker still imports torch cannot print its traceback (the trainer installs its own
    handler once training starts). This process ignores Ctrl-C only while it starts them."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


Job = tuple[list[dict[str, Any]], list[str]]


def run_local(jobs: list[Job], workers: int, threads: int, gpus: int = 0) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Yield (job index, summaries) as groups finish; one worker runs in this process. ``gpus``:
    the CUDA devices to spread the worker processes over (``gpu_slots``), one each."""
    if workers <= 1 or len(jobs) <= 1:
        for i, (cfgs, dirs) in enumerate(jobs):
            yield i, run_group(cfgs, dirs, threads)
        return
    ctx = multiprocessing.get_context("spawn")  # fork + torch thread pools can deadlock
    n = min(workers, len(jobs))
    slots = None
    if gpus:
        slots = ctx.Queue()
        for name in gpu_slots(n, gpus, os.environ.get("CUDA_VISIBLE_DEVICES")):
            slots.put(name)
    pool = cf.ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_ignore_sigint, initargs=(slots,))
    futures: dict[cf.Future, int] = {}
    try:
        with sigint_ignored_by_children():  # the workers are started by submit
            futures = {pool.submit(run_group, cfgs, dirs, threads): i for i, (cfgs, dirs) in enumerate(jobs)}
        for fut in cf.as_completed(futures):
            try:
                summaries = fut.result()
            except BrokenProcessPool:
                raise RulesfactsError("a sweep worker process died (killed, or out of memory); the runs that "
                                      "finished are in the table: rerun the same command to continue") from None
            yield futures[fut], summaries
    except BaseException:
        for f in futures:
            f.cancel()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def ray_resources(threads: int, devices: Devices) -> dict[str, int]:
    """What one Ray task asks for: ``threads`` CPUs, and on CUDA one GPU (Ray then sets the task's
    ``CUDA_VISIBLE_DEVICES``: one group per GPU at a time)."""
    return {"num_cpus": threads, "num_gpus": 1} if devices.cuda else {"num_cpus": threads}


def run_ray(jobs: list[Job], threads: int, address: str = "", num_cpus: int | None = None,
            devices: Devices = Devices()) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Yield (job index, summaries) as Ray tasks finish. Joins ``address`` (an existing cluster)
    or the instance already initialised in this process, else starts a local one.

    Run folders are written by the workers: on a multi-node cluster SWEEP_DIR must be on a
    shared filesystem (the table itself is written here, by the driver).
    """
    try:
        import ray
    except ImportError:
        raise RulesfactsError("the Ray executor needs the optional extra: pip install 'rulesfacts[ray]'") from None
    started = False
    if not ray.is_initialized():
        try:
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
        except (ConnectionError, ValueError, RuntimeError) as e:
            raise ConfigError("address", address or "local", f"a reachable Ray cluster ({e})") from None
        started = True
    remote = ray.remote(**ray_resources(threads, devices))(run_group)
    refs = {remote.remote(cfgs, dirs, threads): i for i, (cfgs, dirs) in enumerate(jobs)}
    try:
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            yield refs[ready[0]], ray.get(ready[0])
    except BaseException:
        for r in refs:
            with contextlib.suppress(Exception):  # already finished or gone: nothing to cancel
                ray.cancel(r, force=False)
        raise
    finally:
        if started:
            ray.shutdown()
