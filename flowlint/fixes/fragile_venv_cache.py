"""FL006: call the venv by path instead of activating it, or spell `source` as `.`."""

from __future__ import annotations

from flowlint import shell
from flowlint.checks.fragile_venv_cache import (
    PIP_PROGRAM,
    PYTHON_PROGRAM,
    Activation,
    activations,
    cached_venv_in_use,
    commands_after,
    source_fails,
)
from flowlint.commands import CommandText, LocatedInstall, task_installs
from flowlint.findings import Span
from flowlint.fixes.command_edits import rewrite_installs
from flowlint.fixes.console_commands import commands_provided
from flowlint.fixes.plan import FixOptions, PlannedFix, require
from flowlint.fixes.yamltext import detect_style
from flowlint.model import Flow, Task

NAME = "venv-by-path"
# Programs that never come from a venv: a task running only these (besides pip and python)
# behaves the same without the activation.
_SHELL_TOOLS = frozenset(
    "echo printf cd ls cat cp mv rm mkdir touch test [ true false export set unset exit pwd "
    "head tail grep sed awk sort uniq wc cut tr date sleep chmod find xargs tee curl wget "
    "tar unzip gzip gunzip zip git which du df env mktemp basename dirname".split())


def plan(flow: Flow, task: Task, options: FixOptions) -> PlannedFix:
    found = [activation for activation in activations(flow, task)
             if (activation.builtin == "source" and source_fails(flow, task))
             or cached_venv_in_use(task, activation)]
    require(bool(found), f"'{task.id}' has no fragile venv activation")
    style = detect_style(flow.source, flow.root)
    if not any(cached_venv_in_use(task, activation) for activation in found):
        replacements = {_as_located(a.command, a.simple): _dot_source(a) for a in found}
        edits = rewrite_installs(flow.source, task, replacements, style)
        return PlannedFix("spell `source` as `.`, which /bin/sh has", tuple(edits), safe=True,
                          scope=frozenset({task.id}))
    venvs = {activation.venv for activation in activations(flow, task)}
    require(len(venvs) == 1, f"'{task.id}' activates several venvs ({', '.join(sorted(venvs))})")
    kind = task.script_kind
    require(kind is not None and (kind.shape != "script" or kind.language == "shell"),
            f"'{task.id}' runs its {kind.language if kind else ''} script with the `python` on "
            "PATH, which needs the activation; move the script to a Commands task or install "
            "with --target=deps")
    venv = found[0].venv
    prefix = venv if venv.startswith(("/", "./", "~", "$", "{{")) else f"./{venv}"
    replacements, safe = _by_path(flow, task, found[0], prefix)
    edits = rewrite_installs(flow.source, task, replacements, style)
    return PlannedFix(f"call {prefix}/bin/python instead of activating the venv", tuple(edits),
                      safe=safe, scope=frozenset({task.id}))


def _dot_source(activation: Activation) -> str:
    value = activation.command.node.value
    words = activation.simple.words
    return "." + value[words[0].end:words[-1].end]


def _by_path(flow: Flow, task: Task, first: Activation,
             prefix: str) -> tuple[dict[LocatedInstall, str | None], bool]:
    """Edits for the activations and the commands after the first one; and whether safe."""
    packages = [spec for located in task_installs(flow.source, task)
                for spec in located.install.packages]
    provided = commands_provided(packages) - {"pip"}
    replacements: dict[LocatedInstall, str | None] = {
        _as_located(activation.command, activation.simple): None
        for activation in activations(flow, task)}
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
            replacements[located] = f"{prefix}/bin/{program}{rest}"
        elif "/" not in program and program not in _SHELL_TOOLS:
            safe = False   # it may be a command the venv provides
    return replacements, safe


def _as_located(command: CommandText, simple: shell.SimpleCommand) -> LocatedInstall:
    """A simple command in the shape the command edits take (they cut or replace installs)."""
    install = shell.Install(tool=simple.words[0].text if simple.words else "", ecosystem="",
                            command=simple, packages=(), requirement_files=(),
                            constraint_files=(), editables=(), local_paths=(), urls=(),
                            options=(), target=None, upgrades_pip_only=False)
    return LocatedInstall(install, command, Span(simple.start, simple.end))
