"""FL006: a virtualenv used through `source .../bin/activate`, or a cached venv activated.

`source` is not a /bin/sh builtin on Debian and Ubuntu images (dash), so with Kestra's default
interpreter the command fails with `source: not found` and every later pip or python runs
outside the venv (core issue 8540). A venv restored from a WorkingDirectory cache is fragile
when used through its activate script: the script holds the absolute path the venv was created
at, Kestra runs each execution in a new folder, and the cache keeps neither file modes nor
symlinks, so `python` may silently fall back to the system interpreter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from flowlint import shell
from flowlint.caching import cache_patterns, patterns_cover
from flowlint.commands import CommandText, command_texts
from flowlint.findings import Finding, Span
from flowlint.model import Flow, Task, effective_runner
from flowlint.yamlnodes import get, scalar_offset, scalar_text, string_list

CODE = "FL006"
_ACTIVATE = re.compile(r"^(?P<venv>\S+?)/bin/activate$")
PIP_PROGRAM = re.compile(r"^pip(?:\d+(?:\.\d+)?)?$")
PYTHON_PROGRAM = re.compile(r"^python(?:\d+(?:\.\d+)?)?$")
# Shells whose `source` works; with /bin/sh it depends on the image (see _sh_has_source).
_SOURCE_SHELLS = frozenset({"bash", "zsh", "ksh", "ash", "busybox"})
# Images whose /bin/sh is bash or BusyBox ash, where `source` works.
_SOURCE_SH_IMAGES = ("alpine", "busybox", "centos", "fedora", "rockylinux", "almalinux",
                     "amazonlinux", "ubi8", "ubi9", "oraclelinux", "rhel")


@dataclass(frozen=True)
class Activation:
    command: CommandText
    simple: shell.SimpleCommand
    builtin: str   # 'source' or '.'
    venv: str      # as written: venv, ./venv, /opt/venv
    span: Span

    @property
    def text(self) -> str:
        value = self.command.node.value
        return " ".join(value[self.simple.start:self.simple.end].split())


def check(flow: Flow, parameters: Mapping[str, object]) -> Iterator[Finding]:
    reported: set[tuple[int, int]] = set()   # pluginDefaults commands are shared by tasks
    for task in flow.tasks:
        if task.script_kind is None:
            continue
        for activation in activations(flow, task):
            fails = activation.builtin == "source" and source_fails(flow, task)
            cached = cached_venv_in_use(task, activation)
            key = (id(activation.command.node), activation.simple.start)
            if (fails or cached) and key not in reported:
                reported.add(key)
                yield Finding(
                    CODE,
                    activation.span,
                    _message(task, activation, fails, cached),
                    task_id=task.id,
                    yaml_path=f"{task.path}.{activation.command.label}",
                    extra={"venv": activation.venv, "fails_under_sh": fails, "cached": cached},
                )


def activations(flow: Flow, task: Task) -> list[Activation]:
    found = []
    for command in command_texts(task):
        for simple in shell.split_commands(command.node.value):
            words = [word.text for word in simple.words]
            if len(words) < 2 or words[0] not in ("source", "."):
                continue
            match = _ACTIVATE.match(words[1])
            if match is None:
                continue
            start = scalar_offset(flow.source, command.node, simple.start)
            end = scalar_offset(flow.source, command.node, max(simple.end - 1, simple.start)) + 1
            found.append(Activation(command, simple, words[0], match.group("venv"),
                                    Span(start, max(start, end))))
    return found


def commands_after(task: Task, activation: Activation) -> list[tuple[CommandText,
                                                                     shell.SimpleCommand]]:
    """The simple commands the same shell runs after the activation, in order."""
    after, seen = [], False
    for command in command_texts(task):
        for simple in shell.split_commands(command.node.value):
            if seen:
                after.append((command, simple))
            elif command == activation.command and simple == activation.simple:
                seen = True
    return after


def runs_venv_python(task: Task, activation: Activation) -> bool:
    """Whether a later command runs `pip` or `python` by name (so through the activation)."""
    kind = task.script_kind
    if kind is not None and kind.shape == "script" and kind.language == "python":
        return True   # Kestra runs the script with the `python` on PATH, after beforeCommands
    for _, simple in commands_after(task, activation):
        program = simple.words[0].text if simple.words else ""
        if PIP_PROGRAM.match(program) or PYTHON_PROGRAM.match(program):
            return True
    return False


def cached_venv_in_use(task: Task, activation: Activation) -> bool:
    working_directory = task.working_directory
    venv = _relative(activation.venv)
    if working_directory is None or venv is None:
        return False
    return patterns_cover(cache_patterns(working_directory), venv) \
        and runs_venv_python(task, activation)


def _relative(path: str) -> str | None:
    if path.startswith(("/", "~", "$", "{{")):
        return None
    while path.startswith("./"):
        path = path[2:]
    return path.rstrip("/") or None


def source_fails(flow: Flow, task: Task) -> bool:
    """Whether `source` is missing from the shell that runs the task's commands."""
    interpreter = task.prop("interpreter")
    words = string_list(interpreter) or [scalar_text(interpreter) or "/bin/sh"]
    program = words[0].strip().split()[0].rsplit("/", 1)[-1] if words[0].strip() else "sh"
    if program in _SOURCE_SHELLS:
        return False
    if program not in ("sh", "dash"):
        return False   # powershell, python...: not ours to judge
    return not _sh_has_source(flow, task)


def _sh_has_source(flow: Flow, task: Task) -> bool:
    runner = effective_runner(task, flow.target_version)
    if not runner.starts_container:
        return False   # the worker host: Kestra's image is Ubuntu-based (dash)
    image = scalar_text(task.prop("containerImage")) \
        or scalar_text(get(task.prop("docker"), "image")) \
        or scalar_text(get(task.prop("dockerOptions"), "image")) or ""
    name = image.lower().rsplit("/", 1)[-1]
    return any(marker in name for marker in _SOURCE_SH_IMAGES)


def _message(task: Task, activation: Activation, fails: bool, cached: bool) -> str:
    where = activation.command.field
    if activation.command.origin != "task":
        where += " (from pluginDefaults)"
    venv = activation.venv if activation.venv.startswith(("/", "./", "~", "$", "{{")) \
        else f"./{activation.venv}"
    quoted = f"'{activation.text}' in {where} of '{task.id}'"
    remedy = f"call {venv}/bin/python and {venv}/bin/python -m pip instead"
    if fails:
        note = ("; the venv is also restored from a cache, where activation is fragile"
                if cached else "")
        return (f"{quoted} fails under /bin/sh, the shell Kestra runs commands with "
                f"('source: not found', so pip and python run outside the venv){note}; "
                f"{remedy}")
    working_directory = task.working_directory
    wd_id = working_directory.id if working_directory else ""
    return (f"{quoted} activates a venv restored from the cache of WorkingDirectory "
            f"'{wd_id}': the activate script holds the absolute path the venv was created at "
            f"and the cache keeps no file modes, so later runs may use the system Python; "
            f"{remedy}, or install with --target=deps")
