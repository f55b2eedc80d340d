"""``rulesfacts analyze RUN_DIR`` and ``rulesfacts analytic``: inside the network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from rulesfacts.cli.common import JSON_OPTION, emit, say


def demo_neuron_counts(run_dir: Path) -> dict[str, Any]:
    """Demo extra: neuron counts per class of the final weights (a fraction of a second)."""
    from rulesfacts.analysis.neurons import class_counts, neuron_table
    from rulesfacts.training.rundir import load_run

    run = load_run(Path(run_dir))
    table = neuron_table(run.weights(), run.config.p)
    return {**class_counts(table), "ipr_threshold": table.attrs["ipr_threshold"]}


def register(app: typer.Typer) -> None:
    @app.command("analyze")
    def analyze_cmd(
        run_dir: Path = typer.Argument(..., help="A finished run folder (with weights.npz)."),
        r: float = typer.Option(2.0, help="IPR power r > 1 (the paper's 2)."),
        steps: int = typer.Option(None, help="Points per pruning curve (default 50, plus the class boundary)."),
        order: list[str] = typer.Option(["low", "high"], "--order",
                                        help="Pruning orders: low (lowest IPR first), high (control), random."),
        no_dynamics: bool = typer.Option(False, "--no-dynamics", help="Skip the per-snapshot analysis."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Fourier spectra, IPR classes, pruning curves and snapshot dynamics of a modular-arithmetic
        run; relevant-bit mass of a parity run; per-neuron norms, alignment with the rule and fact
        selectivity of an MLP on dense inputs. Writes RUN_DIR/analysis/ (neurons.csv, PNGs, summary.json, ...)."""
        from rulesfacts.analysis.pipeline import AnalyzeOptions, analyze_run
        from rulesfacts.sweep.phases import verdict
        from rulesfacts.training.rundir import load_run

        options = AnalyzeOptions(r=r, steps=steps, orders=tuple(dict.fromkeys(order)), dynamics=not no_dynamics)
        summary = analyze_run(run_dir, options, progress=not quiet)
        summary["verdict"] = verdict(load_run(run_dir).summary)  # what the run's own metrics say
        emit(summary if as_json else {k: v for k, v in summary.items() if k != "verdict"}, as_json,
             title=f"analysis of {run_dir}")
        if not as_json:
            say(f"the run: {summary['verdict']}")
            if "n_generalizing" in summary:  # MLP runs; parity/transformer: the table says it
                say(f"{summary['n_generalizing']} generalizing and {summary['n_memorizing']} memorizing neurons; "
                    f"files in {summary['out_dir']}")
            if summary.get("n_fact_neurons") is not None:  # MLPs on dense inputs and parity: analysis.dense
                say(f"{summary['n_fact_neurons']} of {summary['n_neurons']} neurons are fact neurons (fact selectivity "
                    f"above {summary['fact_neuron_threshold']:.3f}, which about "
                    f"{summary['fact_neurons_expected_by_chance']:g} neurons pass by chance); "
                    f"files in {summary['out_dir']}")

    @app.command("analytic")
    def analytic_cmd(
        p: int = typer.Option(97, "--p", help="Modulus p ≥ 3."),
        width: int = typer.Option(500, "--width", help="Hidden width N."),
        seed: int = typer.Option(0, help="Seed of the random phases."),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Gromov's closed-form network for (a + b) mod p: cosine weights, x² activation, no
        training. Reports its accuracy on the train half, the test half and all p² pairs."""
        from rulesfacts.analysis.analytic import analytic_metrics

        summary = {"p": p, "width": width, "seed": seed, **analytic_metrics(p, width, seed)}
        emit(summary, as_json, title="analytic network")
