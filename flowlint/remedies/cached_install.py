"""The install command written for a folder that a WorkingDirectory caches.

Kestra keys a WorkingDirectory's cache by the task id, not by its content (docs/kestra.md §6),
so a cached folder outlives an edit of the install line until its TTL ends. The command
therefore keeps a stamp of what it installed inside the folder and installs again, into an
emptied folder, when the stamp differs from what the line asks for now:

    set -- pandas==2.2.3 requests && [ "$*" = "$(cat deps/.installed 2>/dev/null)" ] ||
      { rm -rf deps && pip install --target=deps "$@" && printf '%s\\n' "$*" > deps/.installed; }

The requirements are written once, in `set --`, and read both by the install (`"$@"`) and by
the stamp (`"$*"`); a requirements file read with `-r` joins the stamp by its content. A hit
costs a `cat` and a comparison. When the task runs a program its packages provide, the line
starts by putting the folder's `bin` on PATH (console scripts land there; §7); when the task
changes folder (`cd`), it puts the folder itself on PYTHONPATH by its full path, which the
relative `PYTHONPATH: deps` of the task's env would not reach from the new folder.
"""

from __future__ import annotations

import re
import shlex

from flowlint.lang.installs import Install
from flowlint.lang.shell import SimpleCommand
from flowlint.records import NamedTuple
from flowlint.remedies.command_edits import Guarded

STAMP = ".installed"
_TARGET_OPTIONS = ("-t", "--target")


class CachedInstall(NamedTuple):
    folder: str                  # where pip installs (--target): deps, or the task's own
    program: str                 # pip install, python3 -m pip install, uv pip install
    arguments: tuple[str, ...]   # shell words, quoted as they must be written
    requirement_files: tuple[str, ...] = ()
    path_export: bool = False    # put <folder>/bin on PATH first
    pythonpath_export: bool = False   # put <folder> on PYTHONPATH by its full path (a `cd`)

    def rewrite(self) -> Guarded:
        """The command, in the shape the command edits write in place of an install."""
        stamp = '"$*' + "".join(f" $(cat {shlex.quote(path)} 2>/dev/null)"
                                for path in self.requirement_files) + '"'
        before = f"set -- {' '.join(self.arguments)} && [ {stamp} = " \
                 f'"$(cat {self.folder}/{STAMP} 2>/dev/null)" ] || {{ rm -rf {self.folder} && '
        words = f'{self.program} --target={self.folder} "$@"'
        if self.pythonpath_export:
            before = f'export PYTHONPATH="$PWD/{self.folder}:$PYTHONPATH" && ' + before
        if self.path_export:
            before = f'export PATH="$PWD/{self.folder}/bin:$PATH" && ' + before
        # Kestra restores a cache without file modes (docs/kestra.md §6): the programs pip
        # put in <folder>/bin are made executable again, whoever runs them (the task by name,
        # or a package's own module, as `python -m ruff` runs bin/ruff).
        after = (f" && printf '%s\\n' {stamp} > {self.folder}/{STAMP}; }}"
                 f" && {{ chmod u+x {self.folder}/bin/* 2>/dev/null || true; }}")
        return Guarded(before, words, after)

    def text(self) -> str:
        """The whole command, for a new list item."""
        rewrite = self.rewrite()
        return rewrite.before + rewrite.words + rewrite.after


def program_words(install: Install) -> str:
    """`pip install`, `pip3 install`, `python3 -m pip install`, `./venv/bin/pip install` or
    `uv pip install`, as the install wrote it."""
    words = [word.text for word in install.command.words]
    if install.tool == "uv":
        return "uv pip install"
    if len(words) > 2 and words[1] == "-m":
        return f"{words[0]} -m pip install"
    if words and words[0].rsplit("/", 1)[-1].startswith("pip"):
        # pip3 or ./venv/bin/pip: the same pip, not whichever `pip` is on PATH (a worker
        # may have pip3 alone).
        return f"{words[0]} install"
    return "pip install"


def arguments_of(install: Install, value: str) -> list[str]:
    """The install's arguments as written (quoting kept), without its target folder."""
    words = list(install.command.words)
    start = next(index for index, word in enumerate(words) if word.text == "install") + 1
    arguments: list[str] = []
    skip = False
    for word in words[start:]:
        if skip:
            skip = False
        elif word.text in _TARGET_OPTIONS:
            skip = True
        elif not word.text.startswith(tuple(f"{option}=" for option in _TARGET_OPTIONS)):
            arguments.append(value[word.start:word.end])
    return arguments


def stamped_set_command(commands: tuple[SimpleCommand, ...], install: SimpleCommand,
                        folder: str) -> SimpleCommand | None:
    """The `set -- ...` command of a stamped install into `folder` that this module wrote, or
    None when `install` is not one."""
    if '"$@"' not in (word.text for word in install.words) and \
            "$@" not in (word.text for word in install.words):
        return None
    index = commands.index(install)
    stamp_test = re.compile(rf"\$\(cat (?:\./)?{re.escape(folder)}/{re.escape(STAMP)}")
    for previous in reversed(commands[:index]):
        words = [word.text for word in previous.words]
        if words[:2] == ["set", "--"]:
            return previous
        if words[:1] == ["["] and not stamp_test.search(" ".join(words)):
            return None
    return None
