"""Errors that users cause, reported as one clear line (no traceback) by the CLI.

The Python API raises them too, so notebooks get a normal exception with the same text.
"""

from __future__ import annotations


class RulesfactsError(Exception):
    """Base class: anything the user can fix. The CLI prints ``error: <message>`` and exits 2."""

    exit_code = 2


class ConfigError(RulesfactsError, ValueError):
    """A configuration value is out of its allowed range."""

    def __init__(self, field: str, value: object, allowed: str):
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(f"{field}={short_repr(value)} is not allowed: {allowed}")


class DataFileError(RulesfactsError, OSError):
    """A file we read is missing, truncated or of the wrong format."""

    def __init__(self, path: object, problem: str):
        self.path, self.problem = path, problem
        super().__init__(one_line(f"{path}: {problem}"))


class OutputError(RulesfactsError, OSError):
    """An output folder cannot be written."""

    def __init__(self, path: object, problem: str):
        self.path, self.problem = path, problem
        super().__init__(one_line(f"cannot write to {path}: {problem}"))


class Note(UserWarning):
    """Something the user should know that is not an error (a stale lock taken over, a file
    skipped). The CLI prints it as one line ``note: <message>``; Python shows it as a warning."""


class DivergedError(RulesfactsError, ArithmeticError):
    """A numerical procedure (e.g. a state-evolution fixed point) did not converge."""


def one_line(text: str) -> str:
    """Messages are printed as one line: fold the line breaks that exception texts may carry."""
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def short_repr(value: object, limit: int = 80) -> str:
    """``repr`` on one line and bounded, so a pasted array or long string cannot flood the error."""
    text = one_line(repr(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."
