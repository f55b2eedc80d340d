"""``rulesfacts memscore``: which training examples a network memorizes (Feldman & Zhang 2020)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from rulesfacts.cli.common import JSON_OPTION, config_options, emit, say
from rulesfacts.config.train import TrainConfig


def register(app: typer.Typer) -> None:
    @app.command("memscore")
    @config_options(TrainConfig)
    def memscore_cmd(
        out: Path = typer.Option(None, "--out", "-o", help="Output folder (default: runs/memscore-<task>-<timestamp>); "
                                 "a run folder works too: its report then shows the scores."),
        given: dict[str, Any] | None = None,  # one option per TrainConfig field: see config_options
        members: int = typer.Option(16, "--members", help="Networks trained on random subsets (one batched ensemble)."),
        keep: float = typer.Option(0.5, "--keep", help="Fraction of the training set each member trains on."),
        subset_seed: int = typer.Option(0, "--subset-seed", help="Seed of the members' subsets."),
        single: bool = typer.Option(True, "--single/--no-single",
                                    help="Also train one network on the whole set, to state the cost as a multiple."),
        top: int = typer.Option(64, "--top", help="Top-scored examples drawn (modular: (a, b) cells)."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Memorization score of every training example (accuracy when trained on it minus when held
        out), its standard error, and for known facts how well it finds them (ROC AUC, precision at
        the number of facts); writes memscores.csv, memscore-hist.png, memscore-top.png, memscore.json."""
        from rulesfacts.analysis.memscore import memorization_scores, write_outputs

        cfg = TrainConfig(**dict(given or {}))
        out = out or Path("runs") / f"memscore-{cfg.task}-{time.strftime('%Y%m%d-%H%M%S')}"
        result = memorization_scores(cfg, members=members, keep=keep, seed=subset_seed, progress=not quiet,
                                     single=single)
        files = write_outputs(result, cfg, out, top=top)
        emit({**result.summary(), "out_dir": str(out), **{f"file_{k}": v for k, v in files.items()}}, as_json,
             title=f"memorization scores ({cfg.task})")
        if not as_json and result.roc_auc is not None:
            say(f"facts score {result.summary()['mean_score_facts']:.2f} on average, clean examples "
                f"{result.summary()['mean_score_clean']:.2f}; ROC AUC {result.roc_auc:.3f}")
