"""``rulesfacts train`` and ``rulesfacts demo``: one run, its folder, its plots."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from rulesfacts.cli.common import JSON_OPTION, config_options, emit, say
from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError
from rulesfacts.training.rundir import CONFIG, read_config
from rulesfacts.training.summary import shown_keys
from rulesfacts.training.trainer import RunResult, train


def run_summary(result: RunResult) -> dict[str, Any]:
    """The printed summary: the summary keys marked ``shown`` (``train.summary``), and the folder."""
    out = {k: result.summary.get(k) for k in shown_keys()}
    out["run_dir"] = str(result.run_dir) if result.run_dir else None
    return out


def add_to_summary(run_dir: Path, extra: dict[str, Any]) -> None:
    """Add keys to RUN_DIR/summary.json (the report's summary table shows every key there)."""
    from rulesfacts.io import read_json, write_json
    from rulesfacts.training.rundir import SUMMARY

    path = run_dir / SUMMARY
    write_json(path, read_json(path) | extra)


def train_and_plot(cfg: TrainConfig, out: Path, resume: bool, progress: bool) -> RunResult:
    from rulesfacts.report.run_report import plot_run_curves
    from rulesfacts.training.rundir import load_run

    result = train(cfg, out, progress=progress, resume=resume)
    plot_run_curves(load_run(out), out / "curves.png")
    return result


def register(app: typer.Typer) -> None:
    @app.command("train")
    @config_options(TrainConfig)
    def train_cmd(
        out: Path = typer.Option(None, "--out", "-o", help="Run folder (default: runs/<task>-<timestamp>)."),
        given: dict[str, Any] | None = None,  # one option per TrainConfig field: see config_options
        resume: bool = typer.Option(False, "--resume", help="Continue from the run folder's checkpoint."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
        theory: bool = typer.Option(False, "--theory", help="task raf, model linear/rf: add the RAF theory's "
                                    "prediction (theory_e_gen, theory_e_mem, ...) to the summary and the report."),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Train one network on a task with corrupted labels; write a run folder and curves."""
        given = dict(given or {})
        if resume:  # continue the folder's own config; flags given must agree with its checkpoint
            if out is None:
                raise ConfigError("out", None, "the run folder to continue (--resume needs --out)")
            if (out / CONFIG).is_file():
                given = read_config(out).to_dict() | given
        cfg = TrainConfig(**given)
        if theory:  # a config the theory does not describe fails before training
            from rulesfacts.theory.api import trained_point_theory

            predicted = trained_point_theory(cfg)
        out = out or Path("runs") / f"{cfg.task}-{time.strftime('%Y%m%d-%H%M%S')}"
        result = train_and_plot(cfg, out, resume, progress=not quiet)
        summary = run_summary(result)
        if theory:
            summary |= predicted
            add_to_summary(out, predicted)
        emit(summary, as_json, title=f"run {out}")
        if not as_json:
            say(f"run folder: {out}  (curves: {out / 'curves.png'})")

    @app.command("demo")
    def demo_cmd(
        out: Path = typer.Option(Path("runs/demo"), "--out", "-o", help="Run folder of the demo."),
        epochs: int = typer.Option(1000, help="Epochs (the default reaches coexistence)."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """About a minute on a laptop: p=97, 35% of the training labels random, no weight decay.
        The net memorizes the facts AND generalizes (the paper's coexistence phase)."""
        cfg = TrainConfig(p=97, width=500, train_frac=0.5, fact_frac=0.35, wd=0.0, epochs=epochs, log_every=10)
        if not as_json:
            say("[bold]rulesfacts demo[/]: modular addition mod 97, 35% of the training labels are random facts")
        result = train_and_plot(cfg, out, resume=False, progress=not quiet)
        summary = run_summary(result)
        for extra in DEMO_EXTRAS:
            summary |= extra(out)
        emit(summary, as_json, title="demo")
        if not as_json:
            say(f"facts memorized {summary['facts_memorized']:.1%}, test accuracy {summary['test_acc']:.1%}: "
                "the net stores the facts and still computes the rule.")
            say(f"run folder: {out}")


def _analysis_extra(run_dir: Path) -> dict[str, Any]:
    """Neuron counts per class (issue #4), imported lazily to keep `train` start-up fast."""
    from rulesfacts.cli.analyze import demo_neuron_counts

    return demo_neuron_counts(run_dir)


def _report_extra(run_dir: Path) -> dict[str, Any]:
    """The interactive HTML report of the demo run (issue #9): RUN_DIR/report.html, path printed."""
    from rulesfacts.cli.report import demo_report

    return demo_report(run_dir)


# What the demo does after training, in order; each step returns extra summary keys.
DEMO_EXTRAS = (_analysis_extra, _report_extra)
