"""``rulesfacts memorize``: constructed memorization networks (Yu et al. 2024) vs earlier ones vs training.

One pair and one method prints train/test accuracy, parameters, depth and seconds; ``--all-pairs``,
``--size-curve`` and ``--width-curve`` write a table (markdown + CSV) and a figure under ``--out``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from rulesfacts.cli.common import JSON_OPTION, emit, int_list, renamed_flag, say
from rulesfacts.errors import ConfigError
from rulesfacts.runtime import progress as progress_bar


def register(app: typer.Typer) -> None:
    @app.command("memorize")
    def memorize_cmd(
        dataset: str = typer.Option("digits", help="digits | mnist1d | mnist | fashion | cifar10"),
        pair: tuple[int, int] = typer.Option((None, None), help="The two classes A B (A is +1)."),
        method: str = typer.Option("m1", help="m1 (Yu et al. Thm 7.3) | m2, m3 (Park, Vardi et al., simplified) | "
                                                 "park, vardi (deep narrow, as published) | mlp"),
        data_dir: Path = typer.Option(None, "--data-dir", help="Folder with MNIST/Fashion IDX or npz, or CIFAR-10 "
                                      "python batches.", show_default="the cache folder of `rulesfacts data get`"),
        download: bool = typer.Option(False, "--download", help="Download mnist, fashion or cifar10 first (into "
                                      "--data-dir or the cache folder) unless its files are there; see "
                                      "`rulesfacts data get`."),
        train_per_class: int = typer.Option(None, help="Training images per class (default: all; the paper uses "
                                            "500)."),
        test_per_class: int = typer.Option(None, help="Test images per class (default: all)."),
        old_n_train: int = typer.Option(None, "--n-train", hidden=True),
        old_n_test: int = typer.Option(None, "--n-test", hidden=True),
        normalize: str = typer.Option("unit", help="unit ([0,1] pixels, paper) | standard | l2 | none"),
        seed: int = typer.Option(0, help="Seed of the subsample, projections and MLP init."),
        all_pairs: bool = typer.Option(False, "--all-pairs", help="Every class pair × every method (or --methods)."),
        methods: str = typer.Option("m1,m2,m3,mlp", help="Methods for --all-pairs / --size-curve."),
        size_curve: str = typer.Option(None, "--size-curve", help="Test accuracy vs images per class, e.g. "
                                       "10,30,100 (uses --pair)."),
        width_curve: str = typer.Option(None, "--width-curve", help="M1 behind width-k layers, e.g. 1,4,16,64 "
                                        "(uses --pair)."),
        seeds: int = typer.Option(1, help="Seeds averaged in --size-curve / --width-curve."),
        out: Path = typer.Option(Path("runs/memorize"), "--out", "-o", help="Folder for tables and figures."),
        threads: int = typer.Option(1, help="Torch threads (1 is fastest for these many small operations)."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Build memorization networks and measure how they generalize (Yu et al. 2024)."""
        from rulesfacts.memorize import experiments as ex
        from rulesfacts.tasks.images import check_pair_options, load_dataset

        method_list = [m for m in methods.replace(" ", "").split(",") if m]
        ex.check_methods(method_list + [method])
        train_per_class = renamed_flag("train_per_class", train_per_class, "n_train", old_n_train)
        test_per_class = renamed_flag("test_per_class", test_per_class, "n_test", old_n_test)
        check_pair_options(train_per_class, test_per_class, normalize)
        sizes = int_list(size_curve, "size_curve", "10,30,100") if size_curve is not None else None
        widths = int_list(width_curve, "width_curve", "1,2,4,8") if width_curve is not None else None
        modes = sum([all_pairs, sizes is not None, widths is not None])
        if modes > 1:
            raise ConfigError("mode", "several", "one of --all-pairs, --size-curve, --width-curve at a time")
        if not all_pairs and (pair[0] is None or pair[1] is None):  # every mode but --all-pairs uses --pair
            raise ConfigError("pair", None, "two class labels, e.g. --pair 1 7")
        if threads < 1:
            raise ConfigError("threads", threads, "a positive number of threads")
        if download:
            from rulesfacts.tasks.download import SOURCES, fetch

            if dataset in SOURCES:  # digits and mnist1d need no files
                fetch(dataset, data_dir, show_progress=not quiet)
        data = load_dataset(dataset, data_dir, seed=seed)  # bad files fail here, before any folder is made
        if modes:
            from rulesfacts.io import ensure_writable_dir

            ensure_writable_dir(out)
        progress = not quiet
        summary: dict[str, Any]
        if all_pairs:
            pairs = ex.class_pairs(data)
            with progress_bar(len(pairs), f"{dataset}: class pairs", progress) as step:
                df = ex.pair_table(data, method_list, pairs, train_per_class, test_per_class, normalize, seed,
                                    on_pair=lambda _: step())
            summary = _write(df, out, f"memorize-pairs-{dataset}", ex.plot_heatmap, ex.table_markdown(df))
            summary |= {f"{m}_{k}": float(df[df.method == m][k].mean()) for m in method_list
                        for k in ("train_acc", "test_acc", "seconds")}
            summary["n_pairs"] = len(pairs)
        elif sizes is not None:
            with progress_bar(len(sizes) * seeds, f"{dataset} {pair[0]}-{pair[1]}: sizes", progress) as step:
                df = ex.size_curve(data, pair, sizes, method_list, normalize, range(seed, seed + seeds), on_run=step)
            summary = _write(df, out, f"memorize-size-{dataset}", ex.plot_size_curve,
                             ex.curve_markdown(df, "n_per_class"))
            summary["min_train_acc"] = float(df["train_acc"].min())
        elif widths is not None:
            with progress_bar(len(widths) * seeds, f"{dataset} {pair[0]}-{pair[1]}: widths", progress) as step:
                df = ex.width_curve(data, pair, widths, train_per_class, normalize, range(seed, seed + seeds),
                                    on_run=step)
            summary = _write(df, out, f"memorize-width-{dataset}", ex.plot_width_curve,
                             ex.curve_markdown(df, "bottleneck"))
            summary["min_train_acc"] = float(df["train_acc"].min())
        else:
            from rulesfacts.tasks.images import make_pair

            task = make_pair(data, pair[0], pair[1], train_per_class, test_per_class, normalize, seed)
            summary = {"dataset": dataset, "pair": list(pair), "method": method,
                       **ex.run_method(task, method, seed, threads=threads)}
        emit(summary, as_json, title=f"memorize {dataset}")


def _write(df, out: Path, stem: str, plot, text: str) -> dict[str, Any]:
    """CSV + markdown + PNG, each written atomically; returns their paths."""
    from rulesfacts.io import write_text

    csv, md, png = out / f"{stem}.csv", out / f"{stem}.md", out / f"{stem}.png"
    write_text(csv, df.to_csv(index=False))
    write_text(md, text)
    plot(df, png)
    if not df.empty:
        say(text if len(text) < 6000 else f"table: {md}")
    return {"csv": str(csv), "markdown": str(md), "figure": str(png), "rows": len(df)}
