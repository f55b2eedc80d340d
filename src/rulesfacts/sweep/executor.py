"""Run groups of configs: batched ensembles, spread over local processes or Ray tasks.

Configs with the same ``ensemble_key`` (same shapes and graph) train together in one
``train_ensemble`` call; a group is capped in members and in estimated memory. Groups are the
unit of work: a local process pool runs one group per worker process (``torch`` pinned to
``threads`` intra-op threads, 1 by default: on these small models two processes finish more
runs per minute than one process with two threads, see docs/sweeps.md), Ray runs each group as
one ``ray.remote`` task. No scheduler of our own beyond that.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import signal
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from rulesfacts.config.train import TrainConfig, ensemble_key, train_count
from rulesfacts.errors import ConfigError, RulesfactsError

FLOAT_BYTES = 4
# Training keeps the parameters, their gradients and two AdamW moments; activations (pre-
# activation, hidden, logits and their gradients) scale with the examples seen per step.
PARAM_COPIES = 4
ACTIVATION_COPIES = 4


def member_bytes(cfg: TrainConfig) -> int:
    """A rough upper estimate of one member's training memory, used to cap a group."""
    if cfg.task == "modular":
        n_in, n_out, n_data = 2 * cfg.p, cfg.p, cfg.p * cfg.p
    else:
        n_in, n_out, n_data = cfg.n_bits, 2, cfg.train_size + cfg.test_size
    width = cfg.width if cfg.model == "mlp" else 4 * cfg.d_model
    params = width * (n_in + n_out)
    step = (cfg.batch_size or train_count(cfg))
    activations = max(step, n_data) * (2 * width + n_out)
    return FLOAT_BYTES * (PARAM_COPIES * params + ACTIVATION_COPIES * activations)


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
        results = train_ensemble(cfgs, [Path(d) for d in out_dirs], progress=False, resume=True)
    return [r.summary for r in results]


def _ignore_sigint() -> None:
    """Pool workers ignore Ctrl-C between groups; during training the trainer's own handler
    turns it into a checkpoint and a clean stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()


def _die_with_parent() -> None:
    """Linux: have the kernel SIGKILL this worker when the sweep process dies (kill -9 included),
    so no orphan keeps training and writing run folders beside the rerun (bug fix, issue #11)."""
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


def run_local(jobs: list[Job], workers: int, threads: int) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Yield (job index, summaries) as groups finish; one worker runs in this process."""
    if workers <= 1 or len(jobs) <= 1:
        for i, (cfgs, dirs) in enumerate(jobs):
            yield i, run_group(cfgs, dirs, threads)
        return
    ctx = multiprocessing.get_context("spawn")  # fork + torch thread pools can deadlock
    pool = cf.ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx, initializer=_ignore_sigint)
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


def run_ray(jobs: list[Job], threads: int, address: str = "",
            num_cpus: int | None = None) -> Iterator[tuple[int, list[dict[str, Any]]]]:
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
    remote = ray.remote(num_cpus=threads)(run_group)
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
