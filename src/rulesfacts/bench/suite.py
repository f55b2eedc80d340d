"""What ``rulesfacts bench`` runs, and the tables the scripts in ``benchmarks/`` build with larger
settings: the trainer against the baseline and the matmul peak, interleaved round by round; one
thread against all cores; the paper's phase diagram in hours; other engineers' hot paths. On a
CUDA device (``BenchConfig.device``): the GPU step path's throughput against the ensemble size,
fp32 / TF32 / bf16, against the card's own matmul peaks (``device_table``)."""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from rulesfacts.bench.gemm import MatmulPeak
from rulesfacts.bench.machine import gpu_info, machine_info
from rulesfacts.bench.timing import seconds
from rulesfacts.bench.trainer import (
    BaselineClock,
    Clock,
    TrainerClock,
    peak_memory_mb,
    reference_configs,
    useful_flops,
)
from rulesfacts.config import Choice, Config, Flag, Int, Many, Pair, PlainData, Real, param
from rulesfacts.runtime import resolve_device, track
from rulesfacts.tasks import train_count
from rulesfacts.training.steps import AutogradStep, DeviceStep, HandWrittenStep, StepPath

PAPER_DIAGRAM_RUNS = 17 * 17 * 4  # α × ξ grid × 4 weight decays (Doshi et al. 2024, Fig. 2)
PAPER_DIAGRAM_EPOCHS = 2000
DTYPE_NAMES = {"float32": "fp32", "bfloat16": "bf16", "tfloat32": "tf32"}


@dataclass(frozen=True)
class BenchConfig(Config):
    """What to measure. ``repeats`` interleaved rounds; ``epochs`` timed epochs per measurement."""

    sizes: tuple[tuple[int, int], ...] = param(((97, 500), (23, 64)), Many(Pair(Int(1, 100_000))),
                                               "(p, N) pairs: modulus and width, 2 ≤ p ≤ 1000.")
    ensembles: tuple[int, ...] = param((1, 4, 16, 64), Many(Int(1, 1024), scalar=True), "Ensemble sizes M.")
    train_frac: float = param(0.5, Real(0.0, 1.0, lo_open=True, hi_open=True), "Training fraction α.")
    epochs: int = param(5, Int(1, 10_000), "Timed epochs per measurement.")
    repeats: int = param(3, Int(1, 10_000), "Interleaved rounds (medians over them).")
    log_every: int = param(10, Int(1, 10_000_000), "Log pass every k epochs, as in a run.")
    threads: int = param(0, Int(0, 256), "Torch threads (0: torch's default).")
    bf16: bool = param(True, Flag(), "Also bfloat16 autocast.")
    compiled: bool = param(False, Flag(), "Also the compiled hand-written path (seconds to compile).")
    memory: bool = param(True, Flag(), "Peak memory of each variant (child processes).")
    extras: bool = param(True, Flag(), "Theory points/s and M1 construction time.")
    ensembles_by_size: dict = param({}, PlainData(), "Ensemble sizes per p, overriding ensembles.", cli=False,
                                    compare=False)
    device: str = param("cpu", Choice(("cpu", "cuda")), "Where to measure (cuda: the GPU step path's table).")

    def check_together(self) -> None:
        if any(not 2 <= p <= 1000 for p, _ in self.sizes):
            raise self.reject("sizes", "(p, N) pairs with 2 ≤ p ≤ 1000 and 1 ≤ N ≤ 100000")

    def ensembles_for(self, p: int) -> tuple[int, ...]:
        return self.ensembles_by_size.get(p, self.ensembles)


def scaled_epochs(epochs: int, members: int) -> int:
    """Timed epochs for an ensemble of ``members``: fewer for big ensembles, whose epochs are long."""
    return max(1, round(epochs / members**0.5))


# -- the trainer table ---------------------------------------------------------------------------------
def trainer_clocks(cfg: BenchConfig, p: int, width: int, progress: bool = False) -> dict[str, Clock]:
    """The baseline and every variant of ours at (p, N), by name: fp32 (and bf16) per ensemble
    size, the autograd step at M=1, and (``cfg.compiled``) the compiled hand-written path."""
    def configs(m: int, dtype: str = "float32", compile: bool = False) -> list:
        return reference_configs(p, width, m, cfg.train_frac, cfg.log_every, dtype, compile)

    dtypes = ("float32", "bfloat16") if cfg.bf16 else ("float32",)
    clocks: dict[str, Clock] = {"baseline": BaselineClock(configs(1)[0])}
    for m in track(cfg.ensembles_for(p), f"p={p} N={width}: building ensembles", progress):
        clocks[f"fp32 M={m}"] = TrainerClock(configs(m))
        if m == 1:
            clocks["fp32 autograd M=1"] = TrainerClock(configs(m), step=AutogradStep())
        if cfg.bf16:
            clocks[f"bf16 M={m}"] = TrainerClock(configs(m, "bfloat16"))
        for dtype in dtypes if cfg.compiled else ():
            clocks[f"{DTYPE_NAMES[dtype]} compiled M={m}"] = TrainerClock(configs(m, dtype, compile=True))
    return clocks


def trainer_table(cfg: BenchConfig, progress: bool = False) -> list[dict[str, Any]]:
    """Model-epochs/s and useful GFLOP/s of ours (per ensemble size, fp32 and bf16, hand-written
    and autograd backward) and of the baseline, with the matmul peak, interleaved round by round;
    ratios are medians of per-round ratios to the baseline (or the peak) measured in the same round.
    Rows of the peaks carry ``gflops``; the others ``model_epochs_per_s``."""
    rows = []
    for p, width in cfg.sizes:
        ref = reference_configs(p, width, 1, cfg.train_frac, cfg.log_every)[0]
        flops, ntr = useful_flops(ref), train_count(ref)
        peaks = {f"peak {DTYPE_NAMES[dt]}": MatmulPeak(dt) for dt in (("float32", "bfloat16") if cfg.bf16
                                                                       else ("float32",))}
        clocks = trainer_clocks(cfg, p, width, progress)
        timers: dict[str, Callable[[], float]] = {name: peak.seconds for name, peak in peaks.items()}
        for name, clock in clocks.items():
            timers[name] = lambda c=clock: c.seconds_per_model_epoch(scaled_epochs(cfg.epochs, c.members))
        times: dict[str, list[float]] = {k: [] for k in timers}
        for _ in track(range(cfg.repeats), f"p={p} N={width}: interleaved rounds", progress):
            for name, timer in timers.items():
                times[name].append(timer())
        peak_gflops = {name: [peak.flops / t / 1e9 for t in times[name]] for name, peak in peaks.items()}
        rows += [{"p": p, "width": width, "variant": name, "gflops": statistics.median(g)}
                 for name, g in peak_gflops.items()]
        base = times["baseline"]
        for name, clock in clocks.items():
            ts = times[name]
            gflops = [flops / t / 1e9 for t in ts]
            rows.append({
                "p": p, "width": width, "n_train": ntr, "variant": name,
                "members": clock.members,
                "model_epochs_per_s": 1 / statistics.median(ts),
                "gflops_useful": statistics.median(gflops),
                "fraction_of_fp32_peak": statistics.median(
                    g / pk for g, pk in zip(gflops, peak_gflops["peak fp32"], strict=True)),
                "speedup_vs_baseline": statistics.median(b / t for b, t in zip(base, ts, strict=True)),
                "seconds_per_model_epoch": [round(t, 5) for t in ts],
            })
        del clocks
        if cfg.memory:
            mem_rows = [r for r in rows if r["p"] == p and (r["variant"] == "baseline"
                                                           or r["variant"].startswith("fp32 M="))]
            for row in track(mem_rows, f"p={p} N={width}: peak memory", progress):
                kind = "baseline" if row["variant"] == "baseline" else "ours"
                row["peak_mb"] = peak_memory_mb(kind, p, width, row["members"], cfg.train_frac)
    return rows


def thread_table(p: int = 97, width: int = 500, m: int = 1, epochs: int = 3, repeats: int = 3) -> list[dict[str, Any]]:
    """Seconds per model-epoch of ours (ensemble of ``m``) and of the baseline with 1 and with all
    cores' threads, interleaved: the whole machine's comparison beside the per-core one. (On a
    machine shared with other busy processes, OpenMP threads that wait for each other can cost
    more than they give.)"""
    clocks: dict[str, Clock] = {"ours": TrainerClock(reference_configs(p, width, m, 0.5, 10)),
                                "baseline": BaselineClock(reference_configs(p, width, 1, 0.5, 10)[0])}
    before = torch.get_num_threads()
    counts = sorted({1, os.cpu_count() or 1})
    times: dict[tuple[int, str], list[float]] = {(c, k): [] for c in counts for k in clocks}
    try:
        for _ in range(repeats):
            for c in counts:
                torch.set_num_threads(c)
                for k, clock in clocks.items():
                    times[(c, k)].append(clock.seconds_per_model_epoch(scaled_epochs(epochs, clock.members)))
    finally:
        torch.set_num_threads(before)
    return [{"threads": c, "variant": k, "p": p, "width": width, "members": m if k == "ours" else 1,
             "seconds_per_model_epoch": statistics.median(ts), "rounds": ts} for (c, k), ts in times.items()]


def diagram_estimate(rows: list[dict[str, Any]], p: int = 97) -> dict[str, Any]:
    """Hours for the paper's full weight-decay phase diagram (17·17·4 runs × 2000 epochs at p=97,
    N=500) at the measured model-epochs/s: the baseline vs our fastest fp32 and bf16 variants."""
    work = PAPER_DIAGRAM_RUNS * PAPER_DIAGRAM_EPOCHS
    at_p = [r for r in rows if r["p"] == p and "model_epochs_per_s" in r]
    if not at_p:
        return {}

    def hours(pred: Callable[[str], bool]) -> float | None:
        rates = [r["model_epochs_per_s"] for r in at_p if pred(r["variant"])]
        return round(work / max(rates) / 3600, 2) if rates else None

    return {"runs": PAPER_DIAGRAM_RUNS, "epochs": PAPER_DIAGRAM_EPOCHS,
            "baseline_hours": hours(lambda v: v == "baseline"),
            "ours_fp32_hours": hours(lambda v: v.startswith("fp32 ")),
            "ours_bf16_hours": hours(lambda v: v.startswith("bf16 "))}


# -- other engineers' hot paths (optional) --------------------------------------------------------------
def theory_speed(points: int = 5) -> dict[str, Any] | str:
    """RAF state-evolution points per second (``rulesfacts.theory.solve_point``), cold starts."""
    try:
        from rulesfacts.theory import solve_point
    except ImportError:
        return "unavailable"
    out: dict[str, Any] = {}
    for learner in ("linear", "rf"):
        def curve(learner: str = learner) -> None:
            for i in range(points):
                solve_point(learner, "square", alpha=0.5 + i * 0.5, fact_frac=0.2, lam=0.1)

        try:
            out[f"{learner}_points_per_s"] = points / seconds(curve, warmup=False)
        except Exception as e:  # noqa: BLE001 - another team's code: report, don't crash the bench
            out[f"{learner}_points_per_s"] = f"unavailable ({type(e).__name__})"
    return out


def m1_construction(sizes: tuple[int, ...] = (100, 200, 400, 800), dim: int = 64) -> dict[str, Any] | str:
    """Seconds to construct Yu et al.'s memorization network M1 for N random points in R^dim."""
    try:
        import numpy as np

        from rulesfacts.memorize.experiments import build
    except ImportError:
        return "unavailable"
    out: dict[str, Any] = {}
    for n in sizes:
        rng = np.random.default_rng(n)
        x, y = rng.standard_normal((n, dim)), rng.choice([-1.0, 1.0], size=n)
        try:
            out[str(n)] = round(seconds(lambda x=x, y=y: build("m1", x, y, seed=0), warmup=False), 4)
        except Exception as e:  # noqa: BLE001 - another team's code: report, don't crash the bench
            out[str(n)] = f"unavailable ({type(e).__name__})"
    return out


# -- the GPU table ----------------------------------------------------------------------------------------
GPU_PEAK_N = 8192  # a product large enough to reach a data-centre GPU's matmul peak


def device_variants(cfg: BenchConfig, p: int, width: int, m: int) -> dict[str, tuple[str, StepPath]]:
    """The GPU table's variants at ensemble size ``m``: name → (config dtype, step path). The default
    path (``DeviceStep``: one block) in fp32, TF32 and bf16, the CUDA-graph replay, the compiled block
    (``cfg.compiled``), and the CPU's blocked layout (``HandWrittenStep``) for comparison."""
    out: dict[str, tuple[str, StepPath]] = {
        f"fp32 M={m}": ("float32", DeviceStep()),
        f"tf32 M={m}": ("tfloat32", DeviceStep()),
        f"fp32 graph M={m}": ("float32", DeviceStep(cuda_graph=True)),
        f"cpu-blocked fp32 M={m}": ("float32", HandWrittenStep()),
    }
    if cfg.bf16:
        out[f"bf16 M={m}"] = ("bfloat16", DeviceStep())
        out[f"bf16 graph M={m}"] = ("bfloat16", DeviceStep(cuda_graph=True))
    if cfg.compiled:
        out[f"bf16 compiled M={m}"] = ("bfloat16", DeviceStep(compiled=True))
        out[f"fp32 compiled M={m}"] = ("float32", DeviceStep(compiled=True))
    return out


def device_table(cfg: BenchConfig, progress: bool = False, device: str = "cuda") -> list[dict[str, Any]]:
    """Model-epochs/s and useful TFLOP/s of the GPU step path per ensemble size and variant
    (``device_variants``), with the card's fp32, TF32 and bf16 matmul peaks, interleaved round by
    round; ``x_vs_fp32_m1``: median same-round ratio to fp32 at the smallest M. A variant that
    fails to build (e.g. a CUDA graph the driver refuses) gets a row with its ``error`` instead.
    ``device="cpu"`` runs the same table on the CPU (small peak products; tests)."""
    rows: list[dict[str, Any]] = []
    n = GPU_PEAK_N if device == "cuda" else 256
    for p, width in cfg.sizes:
        ref = reference_configs(p, width, 1, cfg.train_frac, cfg.log_every)[0]
        flops = useful_flops(ref)
        peaks = {"peak fp32": MatmulPeak("float32", n, device),
                 "peak tf32": MatmulPeak("float32", n, device, tf32=True),
                 "peak bf16": MatmulPeak("bfloat16", n, device)}
        clocks: dict[str, Clock] = {}
        members = cfg.ensembles_for(p)
        for m in track(members, f"p={p} N={width}: building ensembles", progress):
            for name, (dtype, step) in device_variants(cfg, p, width, m).items():
                cfgs = reference_configs(p, width, m, cfg.train_frac, cfg.log_every, dtype, step.compiled, device)
                try:
                    clock = TrainerClock(cfgs, step=step)
                    clock.run(DeviceStep.WARMUP_STEPS + 1)  # a CUDA graph is captured by now
                    clocks[name] = clock
                except (RuntimeError, ValueError) as e:  # torch's CUDA errors are RuntimeErrors
                    rows.append({"p": p, "width": width, "variant": name, "members": m,
                                 "error": str(e).splitlines()[0] if str(e) else type(e).__name__})
        timers: dict[str, Callable[[], float]] = {name: pk.seconds for name, pk in peaks.items()}
        for name, clock in clocks.items():
            timers[name] = lambda c=clock: c.seconds_per_model_epoch(cfg.epochs)
        times: dict[str, list[float]] = {k: [] for k in timers}
        for _ in track(range(cfg.repeats), f"p={p} N={width}: interleaved rounds", progress):
            for name, timer in list(timers.items()):
                try:
                    times[name].append(timer())
                except RuntimeError as e:  # e.g. out of memory with every variant's ensemble resident
                    rows.append({"p": p, "width": width, "variant": name,
                                 "error": str(e).splitlines()[0] if str(e) else type(e).__name__})
                    del timers[name], times[name]
                    clocks.pop(name, None)
        rows += [{"p": p, "width": width, "variant": name, "tflops": statistics.median(pk.flops / t / 1e12
                                                                                       for t in times[name])}
                 for name, pk in peaks.items() if name in times]
        first = f"fp32 M={members[0]}"
        for name, clock in clocks.items():
            ts = times[name]
            row = {"p": p, "width": width, "variant": name, "members": clock.members,
                   "model_epochs_per_s": 1 / statistics.median(ts),
                   "tflops_useful": statistics.median(flops / t / 1e12 for t in ts),
                   "seconds_per_model_epoch": [round(t, 7) for t in ts]}
            if first in times:
                row["x_vs_fp32_m1"] = statistics.median(a / b for a, b in zip(times[first], ts, strict=True))
            rows.append(row)
        del clocks
    return rows


def run_device_bench(cfg: BenchConfig, progress: bool = False) -> dict[str, Any]:
    """``run_bench`` on a CUDA device: the GPU table and what it was measured on."""
    resolve_device("cuda")  # one clear line where this machine has no CUDA device
    rows = device_table(cfg, progress)
    peak = {f"p={r['p']} {r['variant']}": r["tflops"] for r in rows if "tflops" in r}
    trainer = [r for r in rows if "tflops" not in r]
    timed = [r for r in trainer if "model_epochs_per_s" in r and "cpu-blocked" not in r["variant"]]
    return {"machine": {**machine_info(), **gpu_info()}, "device": "cuda", "matmul_peak_tflops": peak,
            "trainer": trainer, "diagram_estimate": diagram_estimate(timed)}


def run_bench(cfg: BenchConfig, progress: bool = False) -> dict[str, Any]:
    """Everything, as one JSON-ready dict. ``progress``: bars on stderr (``runtime.progress``)."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    if cfg.device == "cuda":
        return run_device_bench(cfg, progress)
    machine = machine_info()
    rows = trainer_table(cfg, progress)
    peak = {f"p={r['p']} {r['variant']}": r["gflops"] for r in rows if "gflops" in r}
    result: dict[str, Any] = {"machine": machine, "matmul_peak_gflops": peak,
                              "trainer": [r for r in rows if "gflops" not in r],
                              "diagram_estimate": diagram_estimate(rows)}
    if cfg.extras:
        result["theory"] = theory_speed()
        result["m1_construction_seconds"] = m1_construction()
    return result
