"""What the GPU step path must keep, checked on a CUDA device in one process (the CPU tests cover the
same math; these need the card):

- sync:       no host synchronisation between log passes (``torch.cuda.set_sync_debug_mode("error")``
              around plain epochs) for the default path, TF32, bf16 and the CUDA-graph replay;
- memory:     peak GPU memory per member at p = 97, N = 500 against ``executor.member_bytes``, the
              estimate that sizes a sweep's groups on a GPU;
- graph:      the CUDA-graph replay against eager steps (largest weight difference after 200 epochs);
- reference:  the four reference points (p = 97, N = 500, α = 0.5, ξ = 0.35; wd 0 at 1000 epochs,
              wd 5 and 15 at 500, wd 20 read at 1000) on the GPU in fp32, TF32, bf16 and the graph
              replay, against the CPU path in fp32 on the same machine;
- small:      the `small` preset (324 runs) on the GPU and on the CPU (one worker per core), cell by cell.

Writes gpu_checks.json into --out. Without a CUDA device it stops with one line (exit 2).

    python benchmarks/gpu_checks.py --out /tmp/gpu                       # all checks
    python benchmarks/gpu_checks.py --only sync,memory --out /tmp/gpu
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import RulesfactsError
from rulesfacts.io import write_json
from rulesfacts.training.steps import DeviceStep, HandWrittenStep, StepPath

CHECKS = ("sync", "memory", "graph", "reference", "small")
POINTS = {0.0: 1000, 5.0: 500, 15.0: 500, 20.0: 1000}  # weight decay → epoch read (the paper's; wd 20: 1000)


def reference_cfgs(device: str, dtype: str = "float32", epochs: int = 1000) -> list[TrainConfig]:
    return [TrainConfig(p=97, width=500, train_frac=0.5, fact_frac=0.35, wd=wd, epochs=epochs, log_every=10,
                        n_snapshots=0, dtype=dtype, seed=0, device=device) for wd in POINTS]


def variants() -> dict[str, tuple[str, StepPath]]:
    return {"fp32": ("float32", DeviceStep()), "tf32": ("tfloat32", DeviceStep()),
            "bf16": ("bfloat16", DeviceStep()), "fp32 graph": ("float32", DeviceStep(cuda_graph=True)),
            "bf16 graph": ("bfloat16", DeviceStep(cuda_graph=True))}


def check_sync() -> dict[str, Any]:
    """Plain epochs under sync debug mode "error": any host wait raises."""
    from rulesfacts.training.trainer import Trainer

    out = {}
    for name, (dtype, step) in variants().items():
        cfgs = [c.replace(l2=1e-4 * i) for i, c in enumerate(reference_cfgs("cuda", dtype, 100))]
        trainer = Trainer(cfgs, step=step)
        trainer.log()
        for _ in range(DeviceStep.WARMUP_STEPS + 2):  # past the scatter's first build and the capture
            trainer.train_epoch()
        torch.cuda.synchronize()
        torch.cuda.set_sync_debug_mode("error")
        try:
            for _ in range(20):
                trainer.train_epoch()
            out[name] = "no sync"
        except RuntimeError as e:
            out[name] = f"sync: {str(e).splitlines()[0]}"
        finally:
            torch.cuda.set_sync_debug_mode("default")
        torch.cuda.synchronize()
    return out


def check_memory() -> list[dict[str, Any]]:
    from rulesfacts.sweep.executor import member_bytes
    from rulesfacts.training.trainer import Trainer

    rows = []
    for frac in (0.3, 0.9):
        for m in (8, 64):
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
            before = torch.cuda.memory_allocated()
            cfgs = [TrainConfig(p=97, width=500, train_frac=frac, seed=s, epochs=3, log_every=1, n_snapshots=0,
                                device="cuda") for s in range(m)]
            trainer = Trainer(cfgs)
            trainer.fit()
            peak = torch.cuda.max_memory_allocated() - before
            est = member_bytes(cfgs[0])
            rows.append({"train_frac": frac, "members": m, "peak_mb_per_member": round(peak / m / 2**20, 1),
                         "estimate_mb_per_member": round(est / 2**20, 1), "estimate_bounds_peak": est * m >= peak})
            del trainer
    return rows


def check_graph() -> dict[str, Any]:
    from rulesfacts.training.trainer import train_ensemble

    out = {}
    for dtype in ("float32", "bfloat16"):
        cfgs = reference_cfgs("cuda", dtype, 200)
        eager = train_ensemble(cfgs, progress=False, step=DeviceStep())
        graph = train_ensemble(cfgs, progress=False, step=DeviceStep(cuda_graph=True))
        diff = max(float(abs(a.weights[k] - b.weights[k]).max()) for a, b in zip(eager, graph, strict=True)
                   for k in ("W_in", "W_out"))
        out[dtype] = {"max_abs_weight_difference": diff,
                      "test_acc": [[a.summary["test_acc"], b.summary["test_acc"]] for a, b in
                                   zip(eager, graph, strict=True)]}
    return out


def points(results: list, seconds: float) -> dict[str, Any]:
    from rulesfacts.sweep.phases import classify

    pts = []
    for (wd, at), res in zip(POINTS.items(), results, strict=True):
        row = next(r for r in res.metrics if r["epoch"] == at)
        pts.append({"wd": wd, "epoch": at, "phase": classify({**row, "status": res.summary["status"]}),
                    **{k: row[k] for k in ("train_acc", "test_acc", "facts_memorized", "facts_recovered")}})
    return {"seconds": round(seconds, 2), "points": pts}


def check_reference() -> dict[str, Any]:
    from rulesfacts.training.trainer import train_ensemble

    out: dict[str, Any] = {}
    for name, (dtype, step) in variants().items():
        t = time.perf_counter()
        res = train_ensemble(reference_cfgs("cuda", dtype), progress=False, step=step)
        out[name] = points(res, time.perf_counter() - t)
    torch.set_num_threads(os.cpu_count() or 1)
    t = time.perf_counter()
    res = train_ensemble(reference_cfgs("cpu"), progress=False, step=HandWrittenStep())
    out["cpu fp32"] = points(res, time.perf_counter() - t)
    cpu = [p["phase"] for p in out["cpu fp32"]["points"]]
    out["same_phase_as_cpu"] = {k: [p["phase"] for p in v["points"]] == cpu
                                for k, v in out.items() if k != "cpu fp32"}
    return out


def check_small(tmp: Path) -> dict[str, Any]:
    from rulesfacts.sweep import load_results, run_sweep
    from rulesfacts.sweep.diagrams import phase_cells
    from rulesfacts.sweep.spec import load_spec, with_overrides

    out: dict[str, Any] = {}
    cells = {}
    for device, workers in (("cuda", None), ("cpu", os.cpu_count() or 1)):
        spec = with_overrides(load_spec("small"), [f"device={device}"])
        t = time.perf_counter()
        run_sweep(spec, tmp / device, workers=workers, progress=False, yes=True, estimate=False)
        out[f"{device}_seconds"] = round(time.perf_counter() - t, 2)
        c = phase_cells(load_results(tmp / device), panel="wd")
        cells[device] = c.set_index(["wd", "train_frac", "fact_frac"])["phase"]
    same = cells["cuda"] == cells["cpu"].reindex(cells["cuda"].index)
    out |= {"cells": int(len(same)), "same_phase_cells": int(same.sum()),
            "differing": [{"cell": list(k), "cuda": cells["cuda"][k], "cpu": cells["cpu"][k]}
                          for k in same.index[~same]]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default=",".join(CHECKS), help=f"comma-separated, of: {', '.join(CHECKS)}")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = ap.parse_args()
    chosen = [c.strip() for c in args.only.split(",") if c.strip()]
    if bad := [c for c in chosen if c not in CHECKS]:
        print(f"error: --only: unknown check {bad[0]!r}; allowed: {', '.join(CHECKS)}", file=sys.stderr)
        sys.exit(2)
    try:
        from rulesfacts.runtime import resolve_device

        resolve_device("cuda")
    except RulesfactsError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    from rulesfacts.bench.machine import gpu_info, machine_info

    result: dict[str, Any] = {"gpu": gpu_info(), "machine": machine_info(),
                              "command": "python benchmarks/gpu_checks.py " + " ".join(sys.argv[1:])}
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rf-gpu-checks-") as tmp:
        for name in chosen:
            print(f"check: {name}", file=sys.stderr, flush=True)
            t = time.perf_counter()
            try:
                result[name] = check_small(Path(tmp)) if name == "small" else globals()[f"check_{name}"]()
            except Exception as e:  # noqa: BLE001 - one failing check must not lose the others' results
                result[name] = {"error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"}
            result[f"{name}_seconds"] = round(time.perf_counter() - t, 1)
            write_json(args.out / "gpu_checks.json", result)  # after each check: a killed run keeps its part
    print(json.dumps(result))


if __name__ == "__main__":
    main()
