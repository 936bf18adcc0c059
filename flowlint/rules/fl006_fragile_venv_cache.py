"""FL006: a virtualenv used through `source .../bin/activate`, or a cached venv activated.

`source` is not a /bin/sh builtin on Debian and Ubuntu images (dash), so with Kestra's default
interpreter the command fails with `source: not found` and every later pip or python runs
outside the venv (docs/kestra.md §6). A venv restored from a WorkingDirectory cache is fragile
when used through its activate script: the script holds the absolute path the venv was created
at, Kestra runs each execution in a new folder, and the cache keeps neither file modes nor
symlinks, so `python` may silently fall back to the system interpreter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, NamedTuple

from flowlint.facts.flow_facts import FlowFacts
from flowlint.findings import Finding, Fix, Span, require, shorten
from flowlint.kestra import plugin_types
from flowlint.kestra.flow import Task
from flowlint.kestra.task_shell import CommandText, LocatedInstall, command_texts
from flowlint.kestra.working_directory import cache_patterns, patterns_cover
from flowlint.lang import shell
from flowlint.lang.installs import as_install
from flowlint.source import Source
from flowlint.yamlnodes import scalar_offset, scalar_text, string_list

if TYPE_CHECKING:
    from flowlint.remedies.fix_context import FixRequest

CODE = "FL006"
NAME = "fragile-venv-cache"
FIX_NAME = "venv-by-path"
_ACTIVATE = re.compile(r"^(?P<venv>\S+?)/bin/activate$")
PIP_PROGRAM = re.compile(r"^pip(?:\d+(?:\.\d+)?)?$")
PYTHON_PROGRAM = re.compile(r"^python(?:\d+(?:\.\d+)?)?$")
# Shells whose `source` works; with /bin/sh it depends on the image (see _sh_has_source).
_SOURCE_SHELLS = frozenset({"bash", "zsh", "ksh", "ash", "busybox"})
# Images whose /bin/sh is bash or BusyBox ash, where `source` works.
_SOURCE_SH_IMAGES = ("alpine", "busybox", "centos", "fedora", "rockylinux", "almalinux",
                     "amazonlinux", "ubi8", "ubi9", "oraclelinux", "rhel")


class Activation(NamedTuple):
    command: CommandText
    simple: shell.SimpleCommand
    builtin: str   # 'source' or '.'
    venv: str      # as written: venv, ./venv, /opt/venv
    span: Span

    @property
    def text(self) -> str:
        value = self.command.node.value
        return " ".join(value[self.simple.start:self.simple.end].split())


def check(facts: FlowFacts, parameters: Mapping[str, object]) -> Iterator[Finding]:
    reported: set[tuple[int, int]] = set()   # pluginDefaults commands are shared by tasks
    for task in facts.tasks:
        if task.script_kind is None:
            continue
        for activation in activations(facts.source, task):
            fails = activation.builtin == "source" and source_fails(facts, task)
            cached = cached_venv_in_use(task, activation)
            key = (id(activation.command.node), activation.simple.start)
            if (fails or cached) and key not in reported:
                reported.add(key)
                message, remedy = _message(task, activation, fails, cached)
                yield Finding(
                    CODE,
                    activation.span,
                    message,
                    task_id=task.id,
                    yaml_path=f"{task.path}.{activation.command.label}",
                    help=remedy,
                    detail=FragileActivation(activation, fails, cached),
                )


class FragileActivation(NamedTuple):
    """What a finding judged: the activation, and why it is fragile (one or both)."""

    activation: Activation
    fails_under_sh: bool
    cached: bool


def activations(source: Source, task: Task) -> list[Activation]:
    found = []
    for command in command_texts(task):
        for simple in shell.split_commands(command.node.value):
            words = [word.text for word in simple.words]
            if len(words) < 2 or words[0] not in ("source", "."):
                continue
            match = _ACTIVATE.match(words[1])
            if match is None:
                continue
            start = scalar_offset(source, command.node, simple.start)
            end = scalar_offset(source, command.node, max(simple.end - 1, simple.start)) + 1
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


def source_fails(facts: FlowFacts, task: Task) -> bool:
    """Whether `source` is missing from the shell that runs the task's commands."""
    interpreter = task.prop("interpreter")
    words = string_list(interpreter) or [scalar_text(interpreter) or "/bin/sh"]
    program = words[0].strip().split()[0].rsplit("/", 1)[-1] if words[0].strip() else "sh"
    if program in _SOURCE_SHELLS:
        return False
    if program not in ("sh", "dash"):
        return False   # powershell, python...: not ours to judge
    return not _sh_has_source(facts, task)


def _sh_has_source(facts: FlowFacts, task: Task) -> bool:
    runner = facts.runner(task)
    if not runner.starts_container:
        return False   # the worker host: Kestra's image is Ubuntu-based (dash)
    name = (facts.image(task).reference or "").lower().rsplit("/", 1)[-1]
    return any(marker in name for marker in _SOURCE_SH_IMAGES)


def _message(task: Task, activation: Activation, fails: bool, cached: bool
             ) -> tuple[str, str]:
    """The first line (what is wrong, where) and the help (why, what to do)."""
    where = activation.command.field
    if activation.command.origin != "task":
        where += " (from pluginDefaults)"
    venv = activation.venv if activation.venv.startswith(("/", "./", "~", "$", "{{")) \
        else f"./{activation.venv}"
    quoted = f"'{shorten(activation.text)}' in {where} of '{task.id}'"
    remedy = f"call {venv}/bin/python and {venv}/bin/python -m pip instead"
    if fails:
        note = ("; the venv is also restored from a cache, where activation is fragile"
                if cached else "")
        return (f"{quoted} fails under /bin/sh ('source: not found')",
                f"/bin/sh is the shell Kestra runs commands with, so pip and python run "
                f"outside the venv{note}; {remedy}")
    working_directory = task.working_directory
    wd_id = working_directory.id if working_directory else ""
    return (f"{quoted} activates a venv restored from the cache of WorkingDirectory "
            f"'{wd_id}'",
            f"the activate script holds the absolute path the venv was created at and the "
            f"cache keeps no file modes, so later runs may use the system Python; {remedy}, "
            f"or install with --target=deps")


# ----------------------------------------------------------------------------- fix


def fix(request: FixRequest) -> Fix:
    # Fixing code loads when a fix is planned: checking a clean flow never imports it.
    from flowlint.remedies.command_edits import rewrite_installs

    task, source, style = request.task, request.source, request.style
    judged = list(request.details(FragileActivation))
    found = [item.activation for item in judged]
    if not any(item.cached for item in judged):
        replacements = {_as_located(a.command, a.simple): _dot_source(a) for a in found}
        edits = rewrite_installs(source, task, replacements, style)
        return Fix("spell `source` as `.`, which /bin/sh has", tuple(edits), safe=True,
                   scope=frozenset({task.id}))
    # Calling the venv by path means no command of the task activates it any more: every
    # activation goes, the ones judged fragile and those of the same venv besides.
    venvs = {activation.venv for activation in activations(source, task)}
    require(len(venvs) == 1, f"'{task.id}' activates several venvs ({', '.join(sorted(venvs))})")
    kind = task.script_kind
    require(kind is not None and (kind.shape != "script" or kind.language == "shell"),
            f"'{task.id}' runs its {kind.language if kind else ''} script with the `python` on "
            "PATH, which needs the activation; move the script to a Commands task or install "
            "with --target=deps")
    venv = found[0].venv
    prefix = venv if venv.startswith(("/", "./", "~", "$", "{{")) else f"./{venv}"
    replacements, safe = _by_path(request, found[0], prefix)
    edits = rewrite_installs(source, task, replacements, style)
    return Fix(f"call {prefix}/bin/python instead of activating the venv", tuple(edits),
               safe=safe, scope=frozenset({task.id}))


def _dot_source(activation: Activation) -> str:
    value = activation.command.node.value
    words = activation.simple.words
    return "." + value[words[0].end:words[-1].end]


def _by_path(request: FixRequest, first: Activation,
             prefix: str) -> tuple[dict[LocatedInstall, str | None], bool]:
    """Edits for the activations and the commands after the first one; and whether safe."""
    from flowlint.remedies.console_commands import commands_provided

    task = request.task
    packages = [spec for located in request.facts.installs(task)
                for spec in located.install.packages]
    provided = commands_provided(packages) - {"pip"}
    replacements: dict[LocatedInstall, str | None] = {
        _as_located(activation.command, activation.simple): None
        for activation in activations(request.source, task)}
    safe = True
    for command, simple in commands_after(task, first):
        located = _as_located(command, simple)
        if located in replacements or not simple.words:
            continue
        program = simple.words[0].text
        rest = command.node.value[simple.words[0].end:simple.words[-1].end]
        if program == "deactivate":
            replacements[located] = None
        elif program == "uv":
            require(False, "'uv' after the activation uses the venv through VIRTUAL_ENV; "
                    "pass it --python to the venv's interpreter by hand")
        elif PIP_PROGRAM.match(program):
            replacements[located] = f"{prefix}/bin/python -m pip{rest}"
        elif PYTHON_PROGRAM.match(program):
            replacements[located] = f"{prefix}/bin/{program}{rest}"
        elif program in provided:
            # DbtCLI adds --project-dir and --log-format only to commands that start with
            # `dbt` (plugin-dbt, DbtCLI): ./venv/bin/dbt would lose them.
            require(not (program == "dbt" and command.field == "commands"
                         and task.type == plugin_types.DBT_CLI),
                    f"'{task.id}' is a dbt CLI task, which adds --project-dir and "
                    "--log-format only to commands written `dbt ...`; calling the venv's dbt "
                    "by path would drop them")
            replacements[located] = f"{prefix}/bin/{program}{rest}"
        elif "/" not in program and program not in shell.COMMON_TOOLS:
            safe = False   # it may be a command the venv provides
    return replacements, safe


def _as_located(command: CommandText, simple: shell.SimpleCommand) -> LocatedInstall:
    """A simple command in the shape the command edits take (they cut or replace installs)."""
    return LocatedInstall(as_install(simple), command, Span(simple.start, simple.end))
