"""What an analysis of Python code yields: its imports, its install calls, the programs it runs.

Every position is an index into the script's text; flowlint.facts.python_scripts maps them to
file offsets.
"""

from __future__ import annotations

import re

from flowlint.lang.installs import Install
from flowlint.records import NamedTuple

# Stands for a value the code computes at run time (a variable, a `*args`, an f-string field).
UNKNOWN = "__flowlint_unknown__"


class ImportedModule(NamedTuple):
    name: str        # first dotted component: `google` for `from google.cloud import bigquery`
    start: int       # script indexes of the module name
    end: int
    optional: bool   # inside `try: ... except ImportError`
    dynamic: bool = False  # importlib.import_module("x") / __import__("x")


class ScriptInstall(NamedTuple):
    """A call (or notebook line) that installs packages when the script runs."""

    start: int                  # script indexes of the call, or of the `!`/`%` of the line
    end: int
    code: str                   # the call or line as written, whitespace collapsed
    command: str                # the shell command it amounts to (UNKNOWN for run-time parts)
    installs: tuple[Install, ...]
    statement: tuple[int, int] | None  # the expression statement holding only this call
    standalone: bool            # that statement is alone on its line(s)
    notebook: bool = False      # `!pip ...` / `%pip ...`: IPython syntax, not Python

    def shown(self, limit: int) -> str:
        """The call as written, or the command it runs when it spans lines (it may hold
        comments then), cut to `limit` characters."""
        text = self.code if self.end - self.start == len(self.code) else self.command
        return text if len(text) <= limit else text[:limit - 3] + "..."


class CodeAnalysis(NamedTuple):
    imports: tuple[ImportedModule, ...] = ()
    installs: tuple[ScriptInstall, ...] = ()
    programs: frozenset[str] = frozenset()   # programs the code runs (subprocess, os.system)
    run_modules: frozenset[str] = frozenset()  # `python -m X` run by the code
    complete: bool = True        # False when Pebble outside strings may add code at run time
    error: str | None = None     # why the script does not parse
    error_index: int = 0


def install_packages(install: ScriptInstall) -> list[str]:
    """Package specifiers the install names, without the parts computed at run time."""
    return [package for found in install.installs for package in found.packages
            if UNKNOWN not in package]


def has_unknown_packages(install: ScriptInstall) -> bool:
    return any(UNKNOWN in package for found in install.installs for package in found.packages)


def line_starts(code: str) -> list[int]:
    """The index where each line of the code starts. A line ends at \\n, \\r\\n or a lone
    \\r, as `ast` and libcst count the lines their positions name (a YAML double-quoted
    "a\\rb" holds a lone one)."""
    if "\r" not in code:
        return [0] + [i + 1 for i, char in enumerate(code) if char == "\n"]
    return [0] + [match.end() for match in re.finditer(r"\r\n?|\n", code)]
