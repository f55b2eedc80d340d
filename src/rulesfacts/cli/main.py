"""The ``rulesfacts`` command. Each subcommand lives in its own module under ``cli/`` and
registers itself through a ``register(app)`` function listed in ``COMMAND_MODULES``.

User mistakes (``RulesfactsError``) print one ``error: ...`` line and exit 2, with no traceback.
"""

from __future__ import annotations

import importlib
import sys

import click
import typer

from rulesfacts.errors import RulesfactsError

COMMAND_MODULES = (
    "rulesfacts.cli.train",
)


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="rulesfacts",
        help="Does this network learn the rule, or memorize the facts?",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
    return app


def main(argv: list[str] | None = None) -> None:
    app = build_app()
    try:
        app(args=argv, prog_name="rulesfacts", standalone_mode=False)
    except RulesfactsError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.UsageError as e:  # bad flag value or name: one line, like our own errors
        option = f"{e.ctx.command_path}: " if e.ctx else ""
        print(f"error: {option}{e.format_message()}", file=sys.stderr)
        sys.exit(2)
    except click.ClickException as e:
        print(f"error: {e.format_message()}", file=sys.stderr)
        sys.exit(e.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort) as e:
        detail = f" ({e})" if str(e) else ""
        print(f"interrupted{detail}; progress so far is saved, rerun with --resume to continue", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(1)


if __name__ == "__main__":
    main()
