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


def install_location(located: LocatedInstall, task: Task) -> str | None:
    """The working-directory folder an install writes to, or None for the system Python."""
    install = located.install
    if install.target:
        return _relative(install.target)
    program = install.command.words[0].text if install.command.words else ""
    match = _VENV_PROGRAM.match(program)
    if match:
        return _relative(match.group("venv"))
    return _activated_venv(located, task)


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
                    venv, found = _relative(match.group("venv")), True
                    break
        so_far.setdefault(command, venv)
    return so_far, venv


def _relative(path: str) -> str | None:
    """A path inside the working directory, without ./ and trailing /; None when absolute."""
    path = path.strip()
    if path.startswith(("/", "~", "$", "{{")):
        return None
    while path.startswith("./"):
        path = path[2:]
    return path.rstrip("/") or None


def cache_patterns(working_directory: Task) -> list[str]:
    return string_list(get(working_directory.prop("cache"), "patterns"))


def is_cached(located: LocatedInstall, task: Task) -> bool:
    working_directory = task.working_directory
    if working_directory is None:
        return False
    location = install_location(located, task)
    if location is None:
        return False
    return patterns_cover(cache_patterns(working_directory), location)


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
