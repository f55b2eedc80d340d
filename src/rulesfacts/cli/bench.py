"""``rulesfacts bench``: how fast this machine runs the science, measured against its own limit.

Everything is measured in one process and compared as ratios of interleaved runs (A B A B ...,
medians), because the machines are shared and absolute times drift. The functions here are the
Python API the scripts in ``benchmarks/`` call with larger settings; the command runs a quick
version of all of them.

Useful FLOPs of one full-batch epoch of the paper's network (``useful_flops``), n training and
n_test test examples, width N, C = p classes, logging every k epochs:

- output layer, forward h·W_outᵀ and backward (∂W_out = hᵀg, ∂h = g·W_out): 3 · 2nNC;
- first layer as the sum of two weight rows (the one-hot product done without multiplying by
  zeros), forward and its scatter-add backward: nN + 2nN;
- evaluation of the test set every k epochs: (2·n_test·N·C + n_test·N) / k. (The train metrics
  come from the training forward pass, so they cost nothing extra.)

The one-hot matmul of the straightforward baseline (2·n·2p·N per product) is *not* useful work:
both implementations are credited with the same useful FLOPs, so GFLOP/s compare honestly.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import typer

from rulesfacts.cli.common import JSON_OPTION, emit, int_list, say
from rulesfacts.errors import ConfigError

PAPER_DIAGRAM_RUNS = 17 * 17 * 4  # α × ξ grid × 4 weight decays (Doshi et al. 2024, Fig. 2)
PAPER_DIAGRAM_EPOCHS = 2000
DTYPE_NAMES = {"float32": "fp32", "bfloat16": "bf16"}
CPU_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")


@dataclass(frozen=True)
class BenchConfig:
    """What to measure. ``repeats`` interleaved rounds; ``epochs`` timed epochs per measurement."""

    sizes: tuple[tuple[int, int], ...] = ((97, 500), (23, 64))  # (p, N)
    ensembles: tuple[int, ...] = (1, 4, 16, 64)
    train_frac: float = 0.5
    epochs: int = 5
    repeats: int = 3
    log_every: int = 10
    threads: int = 0  # 0: leave torch's default
    bf16: bool = True
    compiled: bool = False  # also the compiled hand-written path (config ``compile``; seconds to compile)
    memory: bool = True
    extras: bool = True  # theory points/s and M1 construction time
    ensembles_by_size: dict[int, tuple[int, ...]] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        for name in ("epochs", "repeats"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 10_000:
                raise ConfigError(name, v, "an integer from 1 to 10000")
        if isinstance(self.threads, bool) or not isinstance(self.threads, int) or not 0 <= self.threads <= 256:
            raise ConfigError("threads", self.threads, "an integer from 0 (torch's default) to 256")
        if not self.ensembles or any(isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= 1024
                                     for m in self.ensembles):
            raise ConfigError("ensembles", self.ensembles, "ensemble sizes from 1 to 1024")
        if not self.sizes or any(not (2 <= p <= 1000 and 1 <= n <= 100_000) for p, n in self.sizes):
            raise ConfigError("sizes", self.sizes, "(p, N) pairs with 2 ≤ p ≤ 1000 and 1 ≤ N ≤ 100000")

    def ensembles_for(self, p: int) -> tuple[int, ...]:
        return self.ensembles_by_size.get(p, self.ensembles)


# -- the machine -------------------------------------------------------------------------------
def machine_info() -> dict[str, Any]:
    """CPU model, cores, torch build and the CPU flags that decide the fast kernels."""
    import torch

    model, flags = platform.processor() or "unknown", set()
    try:
        for line in open("/proc/cpuinfo").read().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "torch": torch.__version__, "threads": torch.get_num_threads(),
            "flags": {f: f in flags for f in CPU_FLAGS}, "mkldnn": torch.backends.mkldnn.is_available(),
            "python": platform.python_version(), "load_avg_1min": os.getloadavg()[0]}


def _median_seconds(fn: Callable[[], Any], repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def mean_seconds(fn: Callable[[], Any], reps: int = 30) -> float:
    """Mean seconds per call over ``reps`` back-to-back calls, after one warm-up call: for kernels
    of tens of µs, where a single call is below the timer's useful resolution."""
    fn()
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps


def block_gemms(k: int, rows: int, width: int, classes: int, dtype: str = "float32") -> Callable[[], Any]:
    """The hand-written path's three GEMMs on one activation block of ``k`` members × ``rows``
    examples: forward h·W_out, ∂W_out += hᵀg, ∂h = g·W_outᵀ (random operands)."""
    import torch

    dt = getattr(torch, dtype)
    h, w, g = (torch.randn(*shape).to(dt) for shape in ((k, rows, width), (k, width, classes), (k, rows, classes)))
    wt, gw = w.transpose(1, 2).contiguous(), torch.zeros(k, width, classes, dtype=dt)
    return lambda: (torch.bmm(h, w), gw.baddbmm_(h.transpose(1, 2), g), torch.bmm(g, wt))


def matmul_peak(dtype: str = "float32", n: int = 1024, repeats: int = 7) -> float:
    """GFLOP/s of a square n×n matmul (2n³ FLOPs): the physical limit the trainer is held to."""
    import torch

    dt = getattr(torch, dtype)
    a, b = torch.randn(n, n).to(dt), torch.randn(n, n).to(dt)
    out = torch.empty(n, n, dtype=dt)
    return 2 * n**3 / _median_seconds(lambda: torch.mm(a, b, out=out), repeats) / 1e9


# -- work per epoch -----------------------------------------------------------------------------
def useful_flops(p: int, width: int, n_train: int, n_test: int, log_every: int) -> float:
    """Useful FLOPs of one full-batch epoch (see the module docstring for the accounting)."""
    train = 6 * n_train * width * p + 3 * n_train * width
    test = (2 * n_test * width * p + n_test * width) / log_every
    return float(train + test)


def reference_configs(p: int, width: int, m: int, train_frac: float, log_every: int, dtype: str = "float32",
                      compile: bool = False) -> list:
    from rulesfacts.config.train import TrainConfig

    return [TrainConfig(p=p, width=width, train_frac=train_frac, seed=i, epochs=10**6, log_every=log_every,
                        n_snapshots=0, dtype=dtype, device="cpu", compile=compile) for i in range(m)]


# -- ours ---------------------------------------------------------------------------------------
class TrainerClock:
    """The ensemble trainer with its run loop reduced to epochs + logging, timed per model-epoch."""

    def __init__(self, cfgs: list, manual: bool = True):
        from rulesfacts.training.steps import AutogradStep
        from rulesfacts.training.trainer import Trainer

        # manual: the default step (hand-written where the model has it); else autograd throughout
        step = None if manual else AutogradStep(cfgs[0].compile)
        self.trainer = Trainer(cfgs, step=step)
        self.members, self.log_every = len(cfgs), cfgs[0].log_every
        # warm-up: a step, a log pass and the step that reuses its logits (with ``compile``, each
        # compiles its own graphs, which would otherwise be timed in the first round)
        self.run(1)
        self.log()
        self.run(1)

    def epoch_step(self) -> None:
        self.trainer.train_epoch()
        self.trainer.epoch += 1

    def log(self) -> None:
        self.trainer.log()

    def run(self, epochs: int) -> None:
        for _ in range(epochs):
            self.epoch_step()

    def seconds_per_model_epoch(self, epochs: int) -> float:
        return _logged_epoch_seconds(self, epochs) / self.members


def _logged_epoch_seconds(clock: Any, epochs: int) -> float:
    """Seconds per epoch of a run that logs every ``log_every`` epochs: one log pass plus the epoch
    after it (which may reuse the log's forward pass), and ``epochs`` plain epochs, combined as
    (log + that epoch + (log_every − 1) · plain) / log_every."""
    t0 = time.perf_counter()
    clock.log()
    clock.epoch_step()
    t1 = time.perf_counter()
    for _ in range(epochs):
        clock.epoch_step()
    plain = (time.perf_counter() - t1) / epochs
    return ((t1 - t0) + (clock.log_every - 1) * plain) / clock.log_every


# -- the straightforward way (the paper's code's structure) -----------------------------------------
class BaselineClock:
    """One ``nn.Linear`` model on one-hot inputs, ``nn.MSELoss`` on one-hot targets and
    ``torch.optim.AdamW`` per run, runs trained one after another in a Python loop; train and test
    accuracy evaluated with extra forward passes every ``log_every`` epochs."""

    def __init__(self, cfg: Any):
        import torch
        from torch import nn

        from rulesfacts.tasks import make_split

        split = make_split(cfg)
        p = cfg.p
        self.torch, self.p, self.log_every, self.epoch = torch, p, cfg.log_every, 0

        def onehot(tokens: Any) -> Any:
            t = torch.from_numpy(tokens)
            return nn.functional.one_hot(t[:, 0], 2 * p).float() + nn.functional.one_hot(t[:, 1], 2 * p).float()

        self.x, self.x_test = onehot(split.x_train), onehot(split.x_test)
        self.y, self.y_test = torch.from_numpy(split.y_train), torch.from_numpy(split.y_test)
        self.target = nn.functional.one_hot(self.y, p).float()
        torch.manual_seed(cfg.seed)
        self.fc1, self.fc2 = nn.Linear(2 * p, cfg.width, bias=False), nn.Linear(cfg.width, p, bias=False)
        self.opt = torch.optim.AdamW([self.fc1.weight, self.fc2.weight], lr=cfg.lr, betas=cfg.betas, eps=cfg.adam_eps,
                                     weight_decay=cfg.wd)
        self.loss = nn.MSELoss()
        self.run(1)

    def model(self, x: Any) -> Any:
        return self.fc2(self.fc1(x) ** 2)

    def epoch_step(self) -> None:
        self.opt.zero_grad()
        self.loss(self.model(self.x), self.target).backward()
        self.opt.step()
        self.epoch += 1

    def log(self) -> None:
        with self.torch.no_grad():
            (self.model(self.x).argmax(1) == self.y).float().mean().item()
            out = self.model(self.x_test)
            (out.argmax(1) == self.y_test).float().mean().item()
            self.loss(out, self.torch.nn.functional.one_hot(self.y_test, self.p).float()).item()

    def run(self, epochs: int) -> None:
        for _ in range(epochs):
            self.epoch_step()

    def seconds_per_model_epoch(self, epochs: int) -> float:
        return _logged_epoch_seconds(self, epochs)


class PeakClock:
    """An n×n matmul timed like a variant, so the peak is measured under the same load as the
    trainer (on a shared machine the load changes from one minute to the next)."""

    members = 1

    def __init__(self, dtype: str = "float32", n: int = 1024):
        import torch

        self.dtype, self.n = dtype, n
        dt = getattr(torch, dtype)
        self.a, self.b = torch.randn(n, n).to(dt), torch.randn(n, n).to(dt)
        self.out, self.mm = torch.empty(n, n, dtype=dt), torch.mm

    def seconds_per_model_epoch(self, epochs: int) -> float:
        """Seconds per matmul (median of 5)."""
        return _median_seconds(lambda: self.mm(self.a, self.b, out=self.out), 5)

    @property
    def gflops_per_call(self) -> float:
        return 2 * self.n**3 / 1e9


# -- peak memory, each in a fresh process ---------------------------------------------------------
def peak_memory_mb(kind: str, p: int, width: int, m: int, train_frac: float, epochs: int = 2) -> float | None:
    """Peak resident memory (MB, /proc VmHWM) of ``epochs`` epochs and a log pass of ``kind`` ("ours"
    or "baseline"), minus the resident memory right after importing torch: in a child process,
    because a process's peak only grows. None where /proc is missing or the child fails."""
    code = (f"import json, sys; from rulesfacts.cli.bench import _child_memory; "
            f"print(json.dumps(_child_memory({kind!r}, {p}, {width}, {m}, {train_frac}, {epochs})))")
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError):
        return None


def _child_memory(kind: str, p: int, width: int, m: int, train_frac: float, epochs: int) -> float:
    import torch  # noqa: F401  (the baseline footprint starts after torch is loaded)

    before_kb = _proc_status_kb("VmRSS")
    cfgs = reference_configs(p, width, m, train_frac, 10)
    clock = TrainerClock(cfgs) if kind == "ours" else BaselineClock(cfgs[0])
    clock.run(epochs)
    clock.log()
    return round((_proc_status_kb("VmHWM") - before_kb) / 1024, 1)


def _proc_status_kb(key: str) -> float:
    """VmRSS (resident now) or VmHWM (peak resident of this program image) in kB. Not getrusage's
    ru_maxrss: Linux carries that over from the parent across fork + exec."""
    for line in open("/proc/self/status").read().splitlines():
        if line.startswith(key + ":"):
            return float(line.split()[1])
    raise OSError(f"{key} not in /proc/self/status")


# -- the trainer table ---------------------------------------------------------------------------------
def trainer_table(cfg: BenchConfig, progress: Callable[[str], None] = lambda s: None) -> list[dict[str, Any]]:
    """Model-epochs/s and useful GFLOP/s of ours (per ensemble size, fp32 and bf16, hand-written
    and autograd backward) and of the baseline, interleaved round by round; ratios are medians of
    per-round ratios to the baseline measured in the same round."""
    from rulesfacts.config.train import n_examples, train_count

    rows = []
    for p, width in cfg.sizes:
        ref = reference_configs(p, width, 1, cfg.train_frac, cfg.log_every)[0]
        ntr = train_count(ref)
        flops = useful_flops(p, width, ntr, n_examples(ref) - ntr, cfg.log_every)
        clocks: dict[str, Any] = {"peak fp32": PeakClock("float32"), "baseline": BaselineClock(ref)}
        if cfg.bf16:
            clocks["peak bf16"] = PeakClock("bfloat16")
        for m in cfg.ensembles_for(p):
            progress(f"p={p} N={width}: building ensemble of {m}")
            cfgs = reference_configs(p, width, m, cfg.train_frac, cfg.log_every)
            clocks[f"fp32 M={m}"] = TrainerClock(cfgs)
            if m == 1:
                clocks["fp32 autograd M=1"] = TrainerClock(cfgs, manual=False)
            if cfg.bf16:
                clocks[f"bf16 M={m}"] = TrainerClock(reference_configs(p, width, m, cfg.train_frac, cfg.log_every,
                                                                       "bfloat16"))
            for dtype in (("float32", "bfloat16") if cfg.bf16 else ("float32",)) if cfg.compiled else ():
                progress(f"p={p} N={width}: compiling {dtype} M={m}")
                clocks[f"{DTYPE_NAMES[dtype]} compiled M={m}"] = TrainerClock(
                    reference_configs(p, width, m, cfg.train_frac, cfg.log_every, dtype, compile=True))
        times: dict[str, list[float]] = {k: [] for k in clocks}
        for r in range(cfg.repeats):
            progress(f"p={p} N={width}: round {r + 1}/{cfg.repeats}")
            for name, clock in clocks.items():
                epochs = max(1, round(cfg.epochs / getattr(clock, "members", 1) ** 0.5))
                times[name].append(clock.seconds_per_model_epoch(epochs))
        base, peak = times.pop("baseline"), times.pop("peak fp32")
        peak_gflops = [clocks["peak fp32"].gflops_per_call / t for t in peak]
        for name in [k for k in times if k.startswith("peak")]:
            ts = times.pop(name)
            rows.append({"p": p, "width": width, "variant": name,
                         "gflops": statistics.median(clocks[name].gflops_per_call / t for t in ts)})
        rows.append({"p": p, "width": width, "variant": "peak fp32", "gflops": statistics.median(peak_gflops)})
        for name, ts in {"baseline": base, **times}.items():
            gflops = [flops / t / 1e9 for t in ts]
            rows.append({
                "p": p, "width": width, "n_train": ntr, "variant": name, "members": clocks[name].members
                if hasattr(clocks[name], "members") else 1,
                "model_epochs_per_s": 1 / statistics.median(ts),
                "gflops_useful": statistics.median(gflops),
                "fraction_of_fp32_peak": statistics.median(g / pk for g, pk in zip(gflops, peak_gflops, strict=True)),
                "speedup_vs_baseline": statistics.median(b / t for b, t in zip(base, ts, strict=True)),
                "seconds_per_model_epoch": [round(t, 5) for t in ts],
            })
        if cfg.memory:
            progress(f"p={p} N={width}: peak memory")
            for row in rows:
                if row["p"] == p and (row["variant"] == "baseline" or row["variant"].startswith("fp32 M=")) \
                        and "members" in row:
                    kind = "baseline" if row["variant"] == "baseline" else "ours"
                    row["peak_mb"] = peak_memory_mb(kind, p, width, row["members"], cfg.train_frac)
        del clocks
    return rows


def thread_table(p: int = 97, width: int = 500, m: int = 1, epochs: int = 3, repeats: int = 3) -> list[dict[str, Any]]:
    """Seconds per model-epoch of ours (ensemble of ``m``) and of the baseline with 1 and with all
    cores' threads, interleaved: the whole machine's comparison beside the per-core one. (On a
    machine shared with other busy processes, OpenMP threads that wait for each other can cost
    more than they give.)"""
    import torch

    clocks = {"ours": TrainerClock(reference_configs(p, width, m, 0.5, 10)),
              "baseline": BaselineClock(reference_configs(p, width, 1, 0.5, 10)[0])}
    before = torch.get_num_threads()
    counts = sorted({1, os.cpu_count() or 1})
    times: dict[tuple[int, str], list[float]] = {(c, k): [] for c in counts for k in clocks}
    try:
        for _ in range(repeats):
            for c in counts:
                torch.set_num_threads(c)
                for k, clock in clocks.items():
                    n = max(1, round(epochs / getattr(clock, "members", 1) ** 0.5)) if k == "ours" else epochs
                    times[(c, k)].append(clock.seconds_per_model_epoch(n))
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
        try:
            t = time.perf_counter()
            for i in range(points):
                solve_point(learner, "square", alpha=0.5 + i * 0.5, fact_frac=0.2, lam=0.1)
            out[f"{learner}_points_per_s"] = points / (time.perf_counter() - t)
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
            t = time.perf_counter()
            build("m1", x, y, seed=0)
            out[str(n)] = round(time.perf_counter() - t, 4)
        except Exception as e:  # noqa: BLE001 - another team's code: report, don't crash the bench
            out[str(n)] = f"unavailable ({type(e).__name__})"
    return out


def run_bench(cfg: BenchConfig, progress: Callable[[str], None] = lambda s: None) -> dict[str, Any]:
    """Everything, as one JSON-ready dict."""
    import torch

    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    machine = machine_info()
    rows = trainer_table(cfg, progress)
    peak = {f"p={r['p']} {r['variant']}": r["gflops"] for r in rows if "gflops" in r}
    result: dict[str, Any] = {"machine": machine, "matmul_peak_gflops": peak,
                              "trainer": [r for r in rows if "gflops" not in r],
                              "diagram_estimate": diagram_estimate(rows)}
    if cfg.extras:
        progress("theory and memorization")
        result["theory"] = theory_speed()
        result["m1_construction_seconds"] = m1_construction()
    return result


def register(app: typer.Typer) -> None:
    @app.command("bench")
    def bench_cmd(
        epochs: int = typer.Option(3, help="Timed epochs per measurement (scaled down for big ensembles)."),
        repeats: int = typer.Option(2, help="Interleaved rounds; medians are reported."),
        ensembles: str = typer.Option("1,4", help="Ensemble sizes (the small size p=23 adds 64)."),
        sizes: str = typer.Option("97x500,23x64", help="Problem sizes as pxN, comma-separated."),
        threads: int = typer.Option(1, help="torch threads (0: torch's default; 1 is robust on a shared machine)."),
        memory: bool = typer.Option(False, "--memory/--no-memory", help="Peak memory in child processes."),
        compiled: bool = typer.Option(False, "--compiled/--no-compiled",
                                      help="Also the compiled hand-written path (needs a C++ compiler; adds "
                                           "seconds of compilation per variant)."),
        extras: bool = typer.Option(True, "--extras/--no-extras", help="RAF theory points/s and M1 build times."),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Quick benchmark: matmul peak, trainer vs the one-model-at-a-time baseline, theory, M1."""
        m_sizes = tuple(int_list(ensembles, "ensembles"))
        try:
            pn = tuple(tuple(int(v) for v in item.split("x")) for item in sizes.split(","))
        except ValueError:
            pn = ()
        if not pn or any(len(t) != 2 for t in pn):
            raise ConfigError("sizes", sizes, "pxN pairs, comma-separated, e.g. 97x500,23x64")
        cfg = BenchConfig(sizes=pn, ensembles=m_sizes, epochs=epochs, repeats=repeats, threads=threads,
                          memory=memory, extras=extras, compiled=compiled,
                          ensembles_by_size={23: tuple(sorted({*m_sizes, 64}))})
        from rich.progress import Progress, SpinnerColumn, TextColumn

        from rulesfacts.runtime import stderr_console

        with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=stderr_console(),
                      transient=True) as prog:
            task = prog.add_task("bench")
            result = run_bench(cfg, lambda s: prog.update(task, description=s))
        if as_json:
            emit(result, True)
            return
        for r in result["trainer"]:
            say(f"p={r['p']:>3} N={r['width']:>3} {r['variant']:<18} {r['model_epochs_per_s']:9.1f} model-epochs/s "
                f"{r['gflops_useful']:7.2f} GFLOP/s  ×{r['speedup_vs_baseline']:.2f} vs baseline")
        emit({"matmul_peak_gflops": result["matmul_peak_gflops"], **result["diagram_estimate"],
              "threads": result["machine"]["threads"]}, False, title="bench")
