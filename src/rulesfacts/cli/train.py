"""``rulesfacts train`` and ``rulesfacts demo``: one run, its folder, its plots."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from rulesfacts.cli.common import JSON_OPTION, config_options, emit, say
from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError
from rulesfacts.sweep.phases import classify, verdict
from rulesfacts.training.callbacks import Callback
from rulesfacts.training.summary import shown_keys

if TYPE_CHECKING:  # torch comes with the trainer: imported when a command trains, not at start-up
    from rulesfacts.training.trainer import RunResult, Trainer


def run_summary(result: RunResult) -> dict[str, Any]:
    """The printed summary: the summary keys marked ``shown`` (``train.summary``), and the folder."""
    out = {k: result.summary.get(k) for k in shown_keys()}
    out["run_dir"] = str(result.run_dir) if result.run_dir else None
    out["phase"], out["verdict"] = classify(result.summary), verdict(result.summary)
    return out


def add_to_summary(run_dir: Path, extra: dict[str, Any]) -> None:
    """Add keys to RUN_DIR/summary.json (the report's summary table shows every key there)."""
    from rulesfacts.training.rundir import read_summary, write_summary

    write_summary(run_dir, read_summary(run_dir) | extra)


def train_and_plot(cfg: TrainConfig, out: Path, resume: bool, progress: bool, overwrite: bool = False,
                   tensorboard: Path | None = None, callbacks: list[Callback] | None = None) -> RunResult:
    from rulesfacts.report.run_report import plot_run_curves
    from rulesfacts.training.rundir import load_run
    from rulesfacts.training.trainer import train

    callbacks = list(callbacks or [])
    if tensorboard is not None:
        from rulesfacts.training.callbacks import TensorBoardLogger

        callbacks.append(TensorBoardLogger(tensorboard))
    result = train(cfg, out, progress=progress, resume=resume, overwrite=overwrite, callbacks=callbacks)
    plot_run_curves(load_run(out), out / "curves.png")
    return result


def announce(cfg: TrainConfig, out: Path, estimate: bool) -> None:
    """Before a run: a warning when bfloat16 is emulated here, and (``estimate``) what the run
    will do and how long it is estimated to take (FLOP count over a rate measured in a few epochs)."""
    from rulesfacts.runtime import bf16_native, resolve_device

    device = resolve_device(cfg.device)
    if cfg.dtype == "bfloat16" and not bf16_native(device.type):
        say("warning: this CPU has no bfloat16 instructions (AVX512_BF16 / AMX): bf16 is emulated and runs "
            "slower than float32 here")
    if not estimate:
        return
    from rulesfacts.bench.estimate import duration_text, estimate_run
    from rulesfacts.tasks import describe

    model = f"{cfg.model} width {cfg.width}" if cfg.model in ("mlp", "transformer", "tied") else cfg.model
    say(f"training: {describe(cfg)}, ξ={cfg.fact_frac} facts; {model}; {cfg.epochs} epochs; ensemble of 1; "
        f"on {device.type} ({cfg.dtype}) → {out}")
    e = estimate_run(cfg)
    say(f"estimated time: about {duration_text(e.seconds)} ({e.flops / 1e9:.3g} GFLOP at "
        f"{e.flops_per_second / 1e9:.3g} GFLOP/s measured in {e.probe_epochs} epochs here; other work on the "
        "cores changes it)")


class Announce(Callback):
    """``announce`` once the run folder is claimed (so a folder that cannot be written is the
    only line printed), before the progress bar starts."""

    def __init__(self, cfg: TrainConfig, out: Path, estimate: bool) -> None:
        self.cfg, self.out, self.estimate = cfg, out, estimate

    def on_start(self, trainer: Trainer) -> None:
        announce(self.cfg, self.out, self.estimate)


def finish(result: RunResult, out: Path, as_json: bool, extra: dict[str, Any] | None = None) -> None:
    """The end of `train`: the summary (``extra`` keys added; the verdict as its own line), and
    where the files are."""
    summary = run_summary(result) | (extra or {})
    emit(summary if as_json else {k: v for k, v in summary.items() if k != "verdict"}, as_json, title=f"run {out}")
    if not as_json:
        say(summary["verdict"])
        say(f"run folder: {out}  (curves: {out / 'curves.png'})")


def train_lineage(cont: Path | None, source: str | None, resume: bool, given: dict[str, Any], out: Path | None,
                  progress: bool) -> tuple[RunResult, Path]:
    """`train --continue RUN` (on in place) or `train --from RUN[@EPOCH]` (a new folder)."""
    from rulesfacts.report.run_report import plot_run_curves
    from rulesfacts.training import lineage
    from rulesfacts.training.rundir import load_run

    if cont is not None and source is not None:
        raise ConfigError("continue", str(cont), "either --continue RUN or --from RUN, not both")
    if resume:
        raise ConfigError("resume", True, "not with --continue / --from (they resume by themselves)")
    if cont is not None:
        if out is not None and out.resolve() != cont.resolve():
            raise ConfigError("out", str(out), f"left out or {cont} (--continue trains on in the run's own folder)")
        cfg = lineage.continue_config(cont, given.pop("epochs", None), given)
        result, out = lineage.continue_run(cont, cfg, progress=progress), cont
    else:
        parent, epoch = lineage.parse_source(str(source))
        cfg = lineage.branch_config(parent, given)
        result = lineage.branch_run(parent, epoch, cfg, out, progress=progress)  # out None: beside the parent
        out = result.run_dir
    plot_run_curves(load_run(out), out / "curves.png")
    return result, out


def register(app: typer.Typer) -> None:
    @app.command("train")
    @config_options(TrainConfig)
    def train_cmd(
        out: Path = typer.Option(None, "--out", "-o",
                                 help="Run folder (default: a new runs/<task>-<timestamp>[-2, -3 ...])."),
        given: dict[str, Any] | None = None,  # one option per TrainConfig field: see config_options
        resume: bool = typer.Option(False, "--resume", help="Continue from the run folder's checkpoint."),
        cont: Path = typer.Option(None, "--continue", show_default=False,
                                  help="Train this finished run folder on to --epochs in total, in place "
                                       "(equal, bit for bit, to a run trained that long at once)."),
        source: str = typer.Option(None, "--from", show_default=False,
                                   help="Start a new run from RUN or RUN@EPOCH (a snapshot epoch): its weights, "
                                        "and from its last epoch its optimizer state too, with the flags given "
                                        "changed; the new folder's parent.json records the origin."),
        overwrite: bool = typer.Option(False, "--overwrite", help="Replace the run in --out (all its files are "
                                       "removed first)."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
        tensorboard: Path = typer.Option(None, "--tensorboard", help="Also write the logged metrics as TensorBoard "
                                         "event files into this folder (needs the tensorboard package).",
                                         show_default="off"),
        theory: bool = typer.Option(False, "--theory", help="task raf, model linear/rf: add the RAF theory's "
                                    "prediction (theory_e_gen, theory_e_mem, ...) to the summary and the report."),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Train one network on a task with corrupted labels; write a run folder and curves."""
        from rulesfacts.training.rundir import CONFIG, read_config
        from rulesfacts.training.runfolder import new_run_folder

        given = dict(given or {})
        if cont is not None or source is not None:
            result, out = train_lineage(cont, source, resume, given, out, progress=not quiet)
            return finish(result, out, as_json)
        if resume:  # continue the folder's own config; flags given must agree with its checkpoint
            if out is None:
                raise ConfigError("out", None, "the run folder to continue (--resume needs --out)")
            if (out / CONFIG).is_file():
                given = read_config(out).to_dict() | given
        cfg = TrainConfig(**given)
        predicted: dict[str, Any] = {}
        if theory:  # a config the theory does not describe fails before training
            from rulesfacts.theory.api import trained_point_theory

            predicted = trained_point_theory(cfg)
        out = out or new_run_folder(Path("runs"), f"{cfg.task}-{time.strftime('%Y%m%d-%H%M%S')}")
        result = train_and_plot(cfg, out, resume, progress=not quiet, overwrite=overwrite, tensorboard=tensorboard,
                                callbacks=[Announce(cfg, out, estimate=not (quiet or as_json or resume))])
        if predicted:
            add_to_summary(out, predicted)
        finish(result, out, as_json, extra=predicted)

    @app.command("demo")
    def demo_cmd(
        out: Path = typer.Option(None, "--out", "-o", show_default="runs/demo, or runs/demo-2, -3 ... when taken",
                                 help="Run folder of the demo."),
        epochs: int = typer.Option(1000, help="Epochs (the default reaches coexistence)."),
        overwrite: bool = typer.Option(False, "--overwrite", help="Replace an earlier demo run in --out."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """About a minute on a laptop: p=97, 35% of the training labels random, no weight decay.
        With the default epochs the net memorizes the facts AND generalizes (the paper's
        coexistence phase); the closing line says what the run measured."""
        from rulesfacts.training.runfolder import new_run_folder

        cfg = TrainConfig(p=97, width=500, train_frac=0.5, fact_frac=0.35, wd=0.0, epochs=epochs, log_every=10)
        if out is None:  # an earlier demo is kept: this one goes to the next free name
            out = Path("runs/demo") if overwrite else new_run_folder(Path("runs"), "demo")
        if not as_json:
            say("[bold]rulesfacts demo[/]: modular addition mod 97, 35% of the training labels are random facts")
        result = train_and_plot(cfg, out, resume=False, progress=not quiet, overwrite=overwrite)
        summary = run_summary(result)
        for extra in DEMO_EXTRAS if result.summary.get("status") != "diverged" else ():
            summary |= extra(out)
        emit(summary if as_json else {k: v for k, v in summary.items() if k != "verdict"}, as_json, title="demo")
        if not as_json:
            say(summary["verdict"])
            say(f"run folder: {out}")


def _analysis_extra(run_dir: Path) -> dict[str, Any]:
    """Neuron counts per class, imported lazily to keep `train` start-up fast."""
    from rulesfacts.cli.analyze import demo_neuron_counts

    return demo_neuron_counts(run_dir)


def _report_extra(run_dir: Path) -> dict[str, Any]:
    """The interactive HTML report of the demo run: RUN_DIR/report.html, path printed."""
    from rulesfacts.cli.report import demo_report

    return demo_report(run_dir)


# What the demo does after training, in order; each step returns extra summary keys.
DEMO_EXTRAS = (_analysis_extra, _report_extra)
