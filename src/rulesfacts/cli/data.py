"""``rulesfacts data``: download the image data sets (``data get NAME``) and list them (``data list``).

The files land in the cache folder (``$RULESFACTS_DATA``, else ``~/.cache/rulesfacts``), where
``rulesfacts memorize --dataset NAME`` finds them without ``--data-dir``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from rulesfacts.cli.common import JSON_OPTION, emit, say

CACHE_HELP = "Cache folder; the data set goes into CACHE/NAME."
CACHE_DEFAULT = "$RULESFACTS_DATA or ~/.cache/rulesfacts"


def register(app: typer.Typer) -> None:
    data = typer.Typer(help="Download the image data sets (MNIST, Fashion-MNIST, CIFAR-10) into a cache folder.",
                       no_args_is_help=True)
    app.add_typer(data, name="data")

    @data.command("get")
    def get_cmd(
        name: str = typer.Argument(..., help="mnist | fashion | cifar10", show_default=False),
        cache: Path = typer.Option(None, "--cache", help=CACHE_HELP, show_default=CACHE_DEFAULT),
        mirror: str = typer.Option(None, "--mirror", help="Base URL that serves the same file names, instead of "
                                   "the publishers' addresses.", show_default="$RULESFACTS_MIRROR or the publishers'"),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Download a data set, check the published MD5 checksums, keep only complete files."""
        from rulesfacts.tasks.download import dataset_dir, fetch, source

        source(name)  # an unknown name fails before any folder is made
        done = fetch(name, dataset_dir(name, cache), mirror=mirror, show_progress=not quiet)
        got = int(done["downloaded_bytes"])
        say(f"{name}: {'downloaded ' + format(got / 1e6, '.1f') + ' MB, ' if got else 'already complete, '}"
            f"checksums verified, in {done['folder']}")
        emit(done, as_json, title=f"data get {name}")

    @data.command("list")
    def list_cmd(
        cache: Path = typer.Option(None, "--cache", help=CACHE_HELP, show_default=CACHE_DEFAULT),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """The data sets that can be downloaded, their size, and whether each is in the cache."""
        from rulesfacts.tasks.download import listing

        rows = listing(cache)
        if not as_json:
            from rich.table import Table

            from rulesfacts.runtime import stderr_console

            table = Table("data set", "source", "download", "in cache", "folder")
            for r in rows:
                table.add_row(str(r["dataset"]), str(r["title"]), f"{r['download_mb']} MB",
                              "yes" if r["present"] else "no", str(r["folder"]))
            stderr_console().print(table)
            return
        emit({"datasets": rows}, as_json)
