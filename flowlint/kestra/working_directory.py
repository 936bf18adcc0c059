"""Whether an enclosing WorkingDirectory's cache keeps what an install writes."""

from __future__ import annotations

import re
from functools import lru_cache

from flowlint.kestra.flow import Task
from flowlint.kestra.task_shell import CommandText, LocatedInstall
from flowlint.lang import shell
from flowlint.yamlnodes import get, string_list

_VENV_PROGRAM = re.compile(r"^(?:\./)?(?P<venv>[^\s]+?)/bin/(?:pip[\d.]*|python[\d.]*)$")
_ACTIVATE = re.compile(r"^(?:\./)?(?P<venv>[^\s]+?)/bin/activate$")
# The working directory written out: `{{ workingDir }}/venv` and `$PWD/venv` are `venv`.
_WORKING_DIRECTORY = re.compile(r"^(?:\{\{\s*workingDir\s*\}\}|\$\{?PWD\}?)/")


def install_location(located: LocatedInstall, task: Task) -> str | None:
    """The working-directory folder an install writes to, or None for the system Python."""
    install = located.install
    if install.target:
        return relative_folder(install.target)
    program = install.command.words[0].text if install.command.words else ""
    return venv_of_program(program) or _activated_venv(located, task)


def venv_of_program(program: str) -> str | None:
    """The working-directory venv whose python or pip `program` is (`./venv/bin/pip`,
    `{{ workingDir }}/venv/bin/python`); None for any other program."""
    match = _VENV_PROGRAM.match(within_working_directory(program))
    return relative_folder(match.group("venv")) if match else None


# The venvs of the task asked about last, per shell string: a task with thousands of
# installs would otherwise read all its commands again for each of them.
_last_task: tuple[Task, dict[CommandText, str | None], str | None] | None = None


def _activated_venv(located: LocatedInstall, task: Task) -> str | None:
    """A venv activated (`. venv/bin/activate`) in the same task before the install: in the
    install's shell string or an earlier one."""
    global _last_task
    if _last_task is None or _last_task[0] is not task:
        _last_task = (task, *_activations(task))
    return _last_task[1].get(located.command, _last_task[2])


def _activations(task: Task) -> tuple[dict[CommandText, str | None], str | None]:
    """For each shell string of the task, the first venv activated in it or before it."""
    from flowlint.kestra.task_shell import command_texts

    venv, found, so_far = None, False, {}
    for command in command_texts(task):
        for simple in () if found else shell.split_commands(command.node.value):
            words = [word.text for word in simple.words]
            if len(words) >= 2 and words[0] in (".", "source"):
                match = _ACTIVATE.match(words[1])
                if match:   # the first one counts, even outside the working directory
                    venv, found = relative_folder(match.group("venv")), True
                    break
        so_far.setdefault(command, venv)
    return so_far, venv


def within_working_directory(path: str) -> str:
    """The path with a leading `{{ workingDir }}/` or `$PWD/` taken off (relative to it)."""
    return _WORKING_DIRECTORY.sub("", path.strip())


def relative_folder(path: str) -> str | None:
    """A path inside the working directory, without ./ and trailing /; None when absolute
    or outside it."""
    path = within_working_directory(path)
    if path.startswith(("/", "~", "$", "{{")):
        return None
    while path.startswith("./"):
        path = path[2:]
    return path.rstrip("/") or None


def cache_patterns(working_directory: Task) -> list[str]:
    return string_list(get(working_directory.prop("cache"), "patterns"))


def is_cached(located: LocatedInstall, task: Task) -> bool:
    """Whether the WorkingDirectory's cache keeps what the install writes; a venv the task
    makes afresh before installing into it keeps nothing of what was restored."""
    working_directory = task.working_directory
    if working_directory is None:
        return False
    location = install_location(located, task)
    if location is None or not patterns_cover(cache_patterns(working_directory), location):
        return False
    return bool(located.install.target) or location not in remade_before(
        task, located.command, located.install.command)


def remade_folders(simple: shell.SimpleCommand) -> set[str]:
    """The folders a command removes or makes afresh, when it runs whatever happens before
    it (`rm -rf venv`, `python -m venv --clear venv`); not one inside `{ }` or after `||`,
    as in the guarded installs the fixes write."""
    words = [word.text for word in simple.words]
    if not words or simple.nested or simple.separator_before == "||":
        return set()
    if words[0].rsplit("/", 1)[-1] == "rm" \
            and any("r" in word.lower() for word in words[1:] if word.startswith("-")):
        named = [word for word in words[1:] if not word.startswith("-")]
    else:
        made = shell.virtualenv_made(simple)
        named = [made[0]] if made is not None and "--clear" in made[1] else []
    return {folder for folder in map(relative_folder, named) if folder}


# The folders remade before each command of the task asked about last: asked once per
# install, a scan per install would grow with the square of a task's installs.
_last_remade: tuple[Task, dict[tuple[int, int], frozenset[str]]] | None = None


def remade_before(task: Task, command: CommandText,
                  simple: shell.SimpleCommand) -> frozenset[str]:
    """The folders remade by the task's commands before `simple` (of `command`)."""
    global _last_remade
    if _last_remade is None or _last_remade[0] is not task:
        _last_remade = (task, _remade_index(task))
    return _last_remade[1].get((id(command.node), simple.start), frozenset())


def _remade_index(task: Task) -> dict[tuple[int, int], frozenset[str]]:
    from flowlint.kestra.task_shell import command_texts

    index: dict[tuple[int, int], frozenset[str]] = {}
    so_far: frozenset[str] = frozenset()
    for text in command_texts(task):
        for other in shell.split_commands(text.node.value):
            index.setdefault((id(text.node), other.start), so_far)
            so_far = so_far | remade_folders(other)
    return index


def patterns_cover(patterns: list[str], folder: str) -> bool:
    """True when the patterns match the files a Python install puts in `folder`."""
    samples = (f"{folder}/pandas/__init__.py",
               f"{folder}/lib/python3.12/site-packages/pandas/__init__.py")
    return any(_glob(pattern).match(sample) for pattern in patterns for sample in samples)


@lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    pattern = pattern.strip()
    while pattern.startswith("./"):
        pattern = pattern[2:]
    parts = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        elif pattern[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            parts.append("[^/]")
            index += 1
        else:
            parts.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(parts) + r"\Z")
