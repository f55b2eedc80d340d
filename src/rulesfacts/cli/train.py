"""``rulesfacts train`` and ``rulesfacts demo``: one run, its folder, its plots."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import typer

from rulesfacts.cli.common import JSON_OPTION, emit, say
from rulesfacts.errors import ConfigError
from rulesfacts.training.config import TrainConfig
from rulesfacts.training.rundir import CONFIG, read_config
from rulesfacts.training.trainer import RunResult, train

SUMMARY_KEYS = ("train_acc", "test_acc", "clean_acc", "facts_memorized", "facts_recovered", "train_loss",
                "test_loss", "epochs", "seconds", "status", "diverged_epoch", "epoch_train_99", "epoch_test_99",
                "grok_delay", "n_train", "n_facts")


def run_summary(result: RunResult) -> dict[str, Any]:
    out = {k: result.summary.get(k) for k in SUMMARY_KEYS}
    out["run_dir"] = str(result.run_dir) if result.run_dir else None
    return out


def train_and_plot(cfg: TrainConfig, out: Path, resume: bool, progress: bool) -> RunResult:
    from rulesfacts.report.run_report import plot_run_curves
    from rulesfacts.training.rundir import load_run

    result = train(cfg, out, progress=progress, resume=resume)
    plot_run_curves(load_run(out), out / "curves.png")
    return result


def register(app: typer.Typer) -> None:
    @app.command("train")
    def train_cmd(
        out: Path = typer.Option(None, "--out", "-o", help="Run folder (default: runs/<task>-<timestamp>)."),
        task: str = typer.Option(None, help="modular | parity"),
        p: int = typer.Option(None, help="Modulus p (prime ≥ 3 for --op div)."),
        op: str = typer.Option(None, help="add | sub | mul | div"),
        train_frac: float = typer.Option(None, help="Training fraction α in (0, 1)."),
        corrupt: float = typer.Option(None, help="Corrupted fraction ξ of the training labels, in [0, 1)."),
        corrupt_mode: str = typer.Option(None, help="wrong (facts never equal the rule) | uniform (paper)."),
        data_seed: int = typer.Option(None, help="Seed of the split and the facts (default: --seed)."),
        n_bits: int = typer.Option(None, help="Parity: number of input bits n."),
        k: int = typer.Option(None, help="Parity: size k of the hidden subset."),
        n_train: int = typer.Option(None, help="Parity: training-set size."),
        n_test: int = typer.Option(None, help="Parity: test-set size."),
        model: str = typer.Option(None, help="mlp | transformer"),
        width: int = typer.Option(None, help="Hidden width N."),
        act: str = typer.Option(None, help="quadratic | relu | gelu"),
        init_scale: float = typer.Option(None, help="Init std (default: the paper's 0.5/(2N)^(1/3))."),
        bias: bool = typer.Option(None, "--bias/--no-bias", help="Biases in both layers."),
        dropout: float = typer.Option(None, help="Dropout rate in [0, 1)."),
        dropout_position: str = typer.Option(None, help="pre (on pre-activations, paper) | post"),
        batchnorm: bool = typer.Option(None, "--batchnorm/--no-batchnorm", help="BatchNorm after the activation."),
        d_model: int = typer.Option(None, help="Transformer width."),
        n_heads: int = typer.Option(None, help="Transformer heads."),
        loss: str = typer.Option(None, help="mse (paper) | ce"),
        lr: float = typer.Option(None, help="Learning rate (AdamW)."),
        wd: float = typer.Option(None, help="Decoupled weight decay (AdamW)."),
        l1: float = typer.Option(None, help="Coupled L1 penalty coefficient."),
        l2: float = typer.Option(None, help="Coupled L2 penalty coefficient."),
        batch_size: int = typer.Option(None, help="Minibatch size (0 = full batch)."),
        lr_batch_scaling: bool = typer.Option(None, "--lr-batch-scaling/--no-lr-batch-scaling",
                                              help="Scale lr by sqrt(batch/256) (the paper's BatchNorm runs)."),
        epochs: int = typer.Option(None, help="Training epochs."),
        log_every: int = typer.Option(None, help="Log metrics every k epochs."),
        n_snapshots: int = typer.Option(None, help="Weight snapshots kept for analysis."),
        seed: int = typer.Option(None, help="Seed of the init and the RNG streams."),
        device: str = typer.Option(None, help="auto | cpu | cuda"),
        dtype: str = typer.Option(None, help="float32 | bfloat16 (autocast)"),
        compile: bool = typer.Option(None, "--compile/--no-compile",
                                     help="torch.compile the training step (fused kernels; faster after a few "
                                          "seconds of compilation, docs/performance.md); needs a C++ compiler."),
        resume: bool = typer.Option(False, "--resume", help="Continue from the run folder's checkpoint."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Train one network on a task with corrupted labels; write a run folder and curves."""
        given = {k: v for k, v in locals().items()
                 if v is not None and k in {f.name for f in dataclasses.fields(TrainConfig)}}
        if resume:  # continue the folder's own config; flags given must agree with its checkpoint
            if out is None:
                raise ConfigError("out", None, "the run folder to continue (--resume needs --out)")
            if (out / CONFIG).is_file():
                given = read_config(out).to_dict() | given
        cfg = TrainConfig(**given)
        out = out or Path("runs") / f"{cfg.task}-{time.strftime('%Y%m%d-%H%M%S')}"
        result = train_and_plot(cfg, out, resume, progress=not quiet)
        emit(run_summary(result), as_json, title=f"run {out}")
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
        cfg = TrainConfig(p=97, width=500, train_frac=0.5, corrupt=0.35, wd=0.0, epochs=epochs, log_every=10)
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
