"""``rulesfacts bench``: a quick run of the benchmarks (``rulesfacts.bench``), one JSON object
with ``--json``. The scripts in ``benchmarks/`` call the same library with larger settings."""

from __future__ import annotations

import typer

from rulesfacts.cli.common import JSON_OPTION, emit, int_list, say
from rulesfacts.errors import ConfigError


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
        device: str = typer.Option("cpu", help="cpu, or cuda: the GPU step path per ensemble size (fp32, TF32, "
                                               "bf16, CUDA graphs) against the card's matmul peaks."),
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
        from rulesfacts.bench.suite import BenchConfig, run_bench

        cfg = BenchConfig(sizes=pn, ensembles=m_sizes, epochs=epochs, repeats=repeats, threads=threads,
                          memory=memory, extras=extras, compiled=compiled, device=device,
                          ensembles_by_size={} if device == "cuda" else {23: tuple(sorted({*m_sizes, 64}))})
        result = run_bench(cfg, progress=True)
        if as_json:
            emit(result, True)
            return
        if device == "cuda":
            for r in result["trainer"]:
                rate = (f"{r['model_epochs_per_s']:10.1f} model-epochs/s {r['tflops_useful']:7.2f} TFLOP/s"
                        if "error" not in r else f"failed: {r['error']}")
                say(f"p={r['p']:>3} N={r['width']:>3} {r['variant']:<24} {rate}")
            emit({"gpu": result["machine"]["gpu"], "matmul_peak_tflops": result["matmul_peak_tflops"],
                  **result["diagram_estimate"]}, False, title="bench")
            return
        for r in result["trainer"]:
            say(f"p={r['p']:>3} N={r['width']:>3} {r['variant']:<18} {r['model_epochs_per_s']:9.1f} model-epochs/s "
                f"{r['gflops_useful']:7.2f} GFLOP/s  ×{r['speedup_vs_baseline']:.2f} vs baseline")
        emit({"matmul_peak_gflops": result["matmul_peak_gflops"], **result["diagram_estimate"],
              "threads": result["machine"]["threads"]}, False, title="bench")
