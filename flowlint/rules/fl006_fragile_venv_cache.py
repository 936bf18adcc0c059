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

from flowlint.facts.flow_facts import FlowFacts
from flowlint.findings import Finding, Fix, Span, require, shorten
from flowlint.kestra.flow import Task
from flowlint.kestra.task_shell import CommandText, LocatedInstall, command_texts
from flowlint.kestra.working_directory import (
    cache_patterns,
    patterns_cover,
    relative_folder,
    remade_before,
    remade_folders,
    venv_of_program,
)
from flowlint.lang import shell
from flowlint.lang.installs import as_install
from flowlint.records import TYPE_CHECKING, NamedTuple
from flowlint.source import Source
from flowlint.yamlnodes import scalar_offset, scalar_text, string_list

if TYPE_CHECKING:
    from flowlint.remedies.fix_context import FixRequest

CODE = "FL006"
NAME = "fragile-venv-cache"
FIX_NAME = "venv-activation"
_ACTIVATE = re.compile(r"^(?P<venv>\S+?)/bin/activate$")
# What to do instead of caching a venv (the install fixes write it: working-dir-cache).
DEPS = ("install with --target=deps and cache deps/** instead, with deps on PYTHONPATH and, "
        "when the task runs the packages' programs, deps/bin on PATH and `chmod u+x "
        "deps/bin/*` after the install (the cache keeps no file modes)")
# Shells whose `source` works; with /bin/sh it depends on the image (see _sh_has_source).
_SOURCE_SHELLS = frozenset({"bash", "zsh", "ksh", "ash", "busybox"})
# Images whose /bin/sh is bash or BusyBox ash, where `source` works.
_SOURCE_SH_IMAGES = ("alpine", "busybox", "centos", "fedora", "rockylinux", "almalinux",
                     "amazonlinux", "ubi8", "ubi9", "oraclelinux", "rhel")


class Activation(NamedTuple):
    command: CommandText
    simple: shell.SimpleCommand
    builtin: str   # 'source' or '.'; '' for a venv's python or pip called by path
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
                yield _finding(task, activation, fails, cached)
        for use in _cached_venvs_called_by_path(facts.source, task):
            key = (id(use.command.node), use.simple.start)
            if key not in reported:
                reported.add(key)
                yield _finding(task, use, False, True)


def _finding(task: Task, activation: Activation, fails: bool, cached: bool) -> Finding:
    message, remedy = _message(task, activation, fails, cached)
    return Finding(CODE, activation.span, message, task_id=task.id,
                   yaml_path=f"{task.path}.{activation.command.label}", help=remedy,
                   detail=FragileActivation(activation, fails, cached))


def _cached_venvs_called_by_path(source: Source, task: Task) -> Iterator[Activation]:
    """The first command of the task that runs a cached venv's python or pip by its path
    (`./venv/bin/python`), per venv: once restored, that file has lost its execute bit."""
    working_directory = task.working_directory
    if working_directory is None or task.script_kind is None:
        return
    patterns = cache_patterns(working_directory)
    seen: set[str] = set()
    for command in command_texts(task):
        for simple in shell.split_commands(command.node.value):
            # Made afresh, or made executable again, before any use: what runs is fine.
            seen |= remade_folders(simple) | _made_executable(simple)
            venv = venv_of_program(simple.words[0].text) if simple.words else None
            if venv is None or venv in seen or not patterns_cover(patterns, venv):
                continue
            seen.add(venv)
            start = scalar_offset(source, command.node, simple.start)
            end = scalar_offset(source, command.node, max(simple.end - 1, simple.start)) + 1
            yield Activation(command, simple, "", venv, Span(start, max(start, end)))


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
        if shell.PIP_PROGRAM.match(program) or shell.PYTHON_PROGRAM.match(program):
            return True
    return False


def cached_venv_in_use(task: Task, activation: Activation) -> bool:
    working_directory = task.working_directory
    venv = relative_folder(activation.venv)
    if working_directory is None or venv is None \
            or venv in remade_before(task, activation.command, activation.simple):
        return False
    return patterns_cover(cache_patterns(working_directory), venv) \
        and runs_venv_python(task, activation)


def _made_executable(simple: shell.SimpleCommand) -> set[str]:
    """The venvs whose bin/ a `chmod +x` makes executable again (`chmod u+x venv/bin/*`)."""
    words = [word.text for word in simple.words]
    if not words or words[0].rsplit("/", 1)[-1] != "chmod" \
            or not any("x" in word and word[:1] in "+augo" for word in words[1:]):
        return set()
    return {venv for word in words[1:] if "/bin" in word
            for venv in [relative_folder(word.split("/bin", 1)[0])] if venv}


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
    deps = DEPS
    if fails and not cached:
        return (f"{quoted} fails under /bin/sh ('source: not found')",
                "/bin/sh is the shell Kestra runs commands with, so pip and python run "
                f"outside the venv; write `. {activation.venv}/bin/activate`, or call "
                f"{venv}/bin/python and {venv}/bin/python -m pip")
    working_directory = task.working_directory
    wd_id = working_directory.id if working_directory else ""
    also = " (and `source` fails under /bin/sh)" if fails else ""
    uses = "activates" if activation.builtin else "runs"
    return (f"{quoted} {uses} a venv restored from the cache of WorkingDirectory "
            f"'{wd_id}'{also}",
            "the cache keeps no file modes and turns symlinks into copies, so the restored "
            f"venv's python does not run, activated or called by path; {deps}")


# ----------------------------------------------------------------------------- fix


def fix(request: FixRequest) -> Fix:
    # Fixing code loads when a fix is planned: checking a clean flow never imports it.
    from flowlint.remedies.command_edits import rewrite_installs

    task, source, style = request.task, request.source, request.style
    judged = list(request.details(FragileActivation))
    # A cached venv is not made safe by calling it by path either: Kestra restores the cache
    # without file modes and with symlinks turned into copies, so its bin/python does not run
    # (docs/kestra.md §6). What does is another layout, which the install fixes write.
    require(not any(item.cached for item in judged),
            f"the venv of '{task.id}' is restored from a cache that keeps no file modes, so "
            f"its python does not run once restored, activated or called by path; {DEPS}")
    replacements = {_as_located(item.activation.command, item.activation.simple):
                    _dot_source(item.activation) for item in judged}
    edits = rewrite_installs(source, task, replacements, style)
    return Fix("spell `source` as `.`, which /bin/sh has", tuple(edits), safe=True,
               scope=frozenset({task.id}))


def _dot_source(activation: Activation) -> str:
    value = activation.command.node.value
    words = activation.simple.words
    return "." + value[words[0].end:words[-1].end]


def _as_located(command: CommandText, simple: shell.SimpleCommand) -> LocatedInstall:
    """A simple command in the shape the command edits take (they cut or replace installs)."""
    return LocatedInstall(as_install(simple), command, Span(simple.start, simple.end))
