"""``run_sweep``: expand a spec, skip what the table already holds, train the rest in groups.

SWEEP_DIR/spec.toml      the spec as run (after CLI overrides)
SWEEP_DIR/results.sqlite table ``runs``, one row per finished run (``rulesfacts.sweep.store``)
SWEEP_DIR/runs/<run_id>/ the run folders (curves, weights, snapshots)

A run's row is inserted only after its group finished and its summary was written, so a
rerun after SIGKILL or Ctrl-C trains exactly the runs without a row.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError, OutputError, RulesfactsError
from rulesfacts.io import ensure_writable_dir, write_text
from rulesfacts.runtime import progress as progress_bar
from rulesfacts.runtime import stderr_console
from rulesfacts.sweep import executor as ex
from rulesfacts.sweep import store
from rulesfacts.sweep.phases import classify
from rulesfacts.sweep.spec import SweepSpec, iter_configs, load_spec, parse_spec, run_id, spec_to_toml
from rulesfacts.tasks import train_count

RUNS = "runs"
SPEC = "spec.toml"
PROBE_EPOCHS = 20
# Below this much work (members × epochs × training examples) the probe costs more than it tells.
PROBE_MIN_WORK = 5e7


def as_spec(spec: Any) -> SweepSpec:
    """A sweep spec given as a ``SweepSpec``, a dict (the TOML's tables), a TOML path or a preset name."""
    if isinstance(spec, SweepSpec):
        return spec
    if isinstance(spec, dict):
        return parse_spec(spec)
    if isinstance(spec, (str, Path)):
        return load_spec(spec)
    raise ConfigError("spec", type(spec).__name__, "a SweepSpec, a dict of the spec's tables, a TOML file path "
                      "or a preset name")


def run_sweep(spec: SweepSpec | dict[str, Any] | str | Path, out_dir: Path | str, executor: str | None = None, *,
              workers: int | None = None, threads: int | None = None, address: str | None = None,
              progress: bool = True, yes: bool = False, max_hours: float = 1.0,
              estimate: bool | None = None) -> dict[str, Any]:
    """Run every grid point of ``spec`` that ``out_dir``'s table does not hold yet.

    ``executor``/``workers``/``threads``/``address`` override the spec's [execution] table.
    A sweep estimated (by a short measured probe) to take longer than ``max_hours`` needs
    ``yes=True``. Returns a summary dict (runs_total, runs_done, runs_skipped, seconds, table, ...).
    """
    t0 = time.perf_counter()
    spec = as_spec(spec)
    exe = spec.execution
    executor = executor or ("ray" if address else exe.executor)  # --address alone means Ray
    if executor not in ("local", "ray"):
        raise ConfigError("executor", executor, "local or ray")
    threads = threads if threads is not None else exe.threads
    if threads < 1 or (workers is not None and workers < 1):
        raise ConfigError("threads" if threads < 1 else "workers", threads if threads < 1 else workers,
                          "an integer ≥ 1")
    address = address if address is not None else exe.address

    cfgs = _unique(iter_configs(spec))
    devices = ex.sweep_devices([c for _, c in cfgs], executor)  # "cuda" without a GPU: an error, before any file
    out = ensure_writable_dir(Path(out_dir))
    check_sweep_folder(out)
    done = store.done_ids(out)
    pending = [(rid, c) for rid, c in cfgs if rid not in done]
    recovered = _recover_finished(out, pending, spec)
    pending = [(rid, c) for rid, c in pending if rid not in recovered]
    n_workers = workers if workers is not None else exe.workers or ex.default_workers(devices, exe.n_workers)
    caps = ex.group_caps(devices, exe.max_ensemble, exe.max_memory_mb, exe.gpu_max_ensemble, exe.gpu_memory_fraction)
    groups = ex.plan_groups([c for _, c in pending], *caps)
    # largest groups first, so the last group to finish is a small one (less idle tail)
    groups.sort(key=lambda g: -_work(pending[i][1] for i in g))
    work = _work(c for _, c in pending)
    if workers is None and exe.workers == 0 and work < PROBE_MIN_WORK:
        n_workers = 1  # a sweep of seconds: spawning workers (each imports torch) costs more than it saves
    parallel = min(n_workers, len(groups)) if executor == "local" else max(1, n_workers)
    est = None
    if pending and (estimate or (estimate is None and work > PROBE_MIN_WORK)):
        est = estimate_seconds([[pending[i][1] for i in g] for g in groups], threads, max(1, parallel))
        if progress:
            stderr_console().print(f"estimated time: {_hms(est)} for {len(pending)} runs in {len(groups)} groups "
                f"({executor}, {parallel} worker(s), probe of {PROBE_EPOCHS} epochs)")
        if est > max_hours * 3600 and not yes:
            raise RulesfactsError(f"this sweep is estimated to take {_hms(est)} (> {max_hours:g} h); "
                                  "pass --yes to start it")
    write_text(out / SPEC, spec_to_toml(spec))

    jobs = [([pending[i][1].to_dict() for i in g], [str(out / RUNS / pending[i][0]) for i in g]) for g in groups]
    if not jobs:
        stream: Any = iter(())
    elif executor == "ray":
        stream = ex.run_ray(jobs, threads, address, num_cpus=workers, devices=devices)
    else:
        stream = ex.run_local(jobs, n_workers, threads, gpus=devices.count)
    trained = 0
    if recovered and progress:
        stderr_console().print(f"{len(recovered)} run(s) had finished before the last stop: "
                               "rows added from their folders")
    with progress_bar(len(pending), "sweep runs", progress, transient=False) as advance:
        for gi, summaries in stream:
            rows = [_row(*pending[i], summary, spec) for i, summary in zip(groups[gi], summaries, strict=True)]
            store.insert_rows(out, rows)
            trained += len(rows)
            advance(len(rows))

    ids = {rid for rid, _ in cfgs}
    df = store.load_results(out)
    mine = df[df["run_id"].isin(ids)]
    return {
        "sweep_dir": str(out), "table": str(store.table_path(out)), "spec": spec.name,
        "runs_total": len(cfgs), "runs_done": int(len(mine)),
        "runs_skipped": len(cfgs) - len(pending) - len(recovered), "runs_recovered": len(recovered),
        "runs_trained": trained, "groups": len(groups), "executor": executor, "workers": parallel,
        "device": devices.kind, "gpus": devices.count,
        "threads": threads, "estimated_seconds": None if est is None else round(est, 1),
        "seconds": round(time.perf_counter() - t0, 2),
        "phases": dict(sorted(Counter(mine["phase"]).items())),
    }


def check_sweep_folder(out: Path) -> None:
    """A sweep writes spec.toml, results.sqlite and runs/ into its folder: refuse a folder that
    holds other files and no sweep (``-o .`` in a project folder), so no file of the user's is
    replaced. A folder with only spec.toml is a sweep stopped before its first run."""
    names = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    if names and not ({store.TABLE, RUNS} & names or names == {SPEC}):
        shown = ", ".join(sorted(names)[:3]) + (", ..." if len(names) > 3 else "")
        raise OutputError(out, f"it holds files that are not a sweep ({shown}); choose a new or empty folder "
                          "(nothing was written)")


def _recover_finished(out: Path, pending: list[tuple[str, TrainConfig]], spec: SweepSpec) -> set[str]:
    """Rows for runs whose folder is complete but whose row never landed (the sweep stopped
    between a group's end and its insert): the trainer writes summary.json with its final status
    ("completed" or "diverged") last, after the metrics and weights, so such a folder is whole."""
    from rulesfacts.errors import DataFileError
    from rulesfacts.training import rundir

    rows = []
    for rid, cfg in pending:
        d = out / RUNS / rid
        if not (d / rundir.SUMMARY).is_file():
            continue
        try:
            summary = rundir.read_summary(d)
            same = rundir.read_config(d) == cfg
        except (DataFileError, ConfigError):
            continue
        if same and summary.get("status") in ("completed", "diverged"):
            rows.append(_row(rid, cfg, summary, spec))
    store.insert_rows(out, rows)
    return {r["run_id"] for r in rows}


def _row(rid: str, cfg: TrainConfig, summary: dict[str, Any], spec: SweepSpec) -> dict[str, Any]:
    """The table row of a finished run, its phase named from the row's own metrics."""
    row = store.make_row(rid, cfg, summary, "", f"{RUNS}/{rid}")
    row["phase"] = classify(row, spec.phases)
    return row


def _unique(cfgs: Iterable[TrainConfig]) -> list[tuple[str, TrainConfig]]:
    seen: dict[str, TrainConfig] = {}
    for c in cfgs:
        seen.setdefault(run_id(c), c)
    return list(seen.items())


def _work(cfgs: Any) -> float:
    return float(sum(c.epochs * train_count(c) for c in cfgs))


def estimate_seconds(groups: list[list[TrainConfig]], threads: int, parallel: int) -> float:
    """Wall time of the sweep from a measured probe: train the largest group for a few epochs,
    take its time per member·epoch·example and scale every group by its own work, divided over
    the parallel workers. Rough (logging and cache effects differ), but measured on this machine.
    The probe runs eager even for ``compile = true``: a few epochs would time the compiler, not the
    training (a small-preset probe said 34 min for a 2-min sweep)."""
    from rulesfacts.runtime import torch_threads
    from rulesfacts.training.trainer import train_ensemble

    probe = max(groups, key=lambda g: len(g) * train_count(g[0]))
    k = min(PROBE_EPOCHS, probe[0].epochs)
    cfgs = [c.replace(epochs=k, n_snapshots=0, compile=False) for c in probe]
    with torch_threads(threads):
        t = time.perf_counter()
        train_ensemble(cfgs, None, progress=False)
        per_unit = (time.perf_counter() - t) / _work(cfgs)
    return per_unit * sum(_work(g) for g in groups) / parallel


def _hms(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"
