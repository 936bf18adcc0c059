"""What a task runs: its image, the programs its command lines start, the modules its Python
code imports, and whether the packages the task installs reach each of them.

Only what the task's own packages provide is judged: a program or module nothing of the task
provides comes from the image or the worker, and flowlint makes no claim about it. A fix is
verified against this model (flowlint.run.fix_loop): whatever resolved before the fix must
resolve after it, and the task must run in the image the fix meant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ruamel.yaml.nodes import SequenceNode

from flowlint.facts.flow_facts import FlowFacts
from flowlint.findings import shorten
from flowlint.kestra.flow import Task
from flowlint.kestra.task_shell import command_texts
from flowlint.lang import distributions, shell
from flowlint.lang.python_code import analyse_code
from flowlint.lang.requirements import requirement_name
from flowlint.records import NamedTuple
from flowlint.yamlnodes import get_text, scalar_text

_VENV_PROGRAM = re.compile(r"^(?:\./)?(?P<venv>[^\s]+?)/bin/(?:pip[\d.]*|python[\d.]*)$")
_ANCHORED = "$PWD/"   # marks a folder written from the starting folder
_ACTIVATE = re.compile(r"^(?:\./)?(?P<venv>[^\s]+?)/bin/activate$")


class Placement(NamedTuple):
    """Where one install (or `dependencies`, or the image) puts its packages."""

    origin: str                     # for messages: "'pip install --target=deps dlt'"
    names: frozenset[str]           # the distributions it installs
    importable: bool                # the task's Python finds the modules
    on_path: bool                   # the shell finds the programs by name
    bin_dir: str | None = None      # where the programs are when not on PATH
    hidden_by: str = ""             # why the task's Python cannot see them, when it cannot
    # A virtualenv's own pip: the image or worker has a pip too, so only a call by the
    # virtualenv's folder (or with it on PATH) is its pip.
    by_folder_only: bool = False

    @property
    def distributions(self) -> frozenset[str]:
        """What it installs, with what those bring along."""
        return frozenset(distributions.with_requirements(set(self.names)))

    @property
    def programs(self) -> dict[str, str]:
        return distributions.programs_of(self.names)

    def provides_module(self, module: str) -> bool:
        return any(module in distributions.modules_of(name) for name in self.distributions)


class TaskRun:
    """What a task runs and whether each thing it uses is provided, and by what."""

    __slots__ = ("task_id", "image", "used", "resolved", "problems")

    def __init__(self, task_id: str, image: str | None) -> None:
        self.task_id = task_id
        self.image = image               # the image its container starts from; None on the worker
        self.used: set[str] = set()      # "program dbt", "module pandas"
        self.resolved: dict[str, str] = {}   # those provided: by what
        self.problems: dict[str, str] = {}   # those not: why

def task_run(facts: FlowFacts, task: Task, provided: Iterable[str] = ()) -> TaskRun:
    """The model of `task`; `provided` are distributions the image or worker holds besides
    what flowlint knows of them (a fix declares those it moves there)."""
    runner = facts.runner(task)
    image = facts.image(task).reference if runner.starts_container else None
    run = TaskRun(task.id, image)
    placements = list(_placements(facts, task, image, set(provided)))
    path, pythonpath = _search_paths(task)
    placements = [_reach(placement, path, pythonpath) for placement in placements]
    venv = _virtualenv(task)
    if venv is not None:
        placements = [_hidden(placement, venv) for placement in placements]
    for program, explicit_dir in _programs(facts, task):
        _judge_program(run, placements, program, explicit_dir)
    for module in _modules(facts, task):
        _judge_module(run, placements, module)
    return run


# ----------------------------------------------------------------------------- placements

def _placements(facts: FlowFacts, task: Task, image: str | None,
                provided: set[str]) -> Iterator[Placement]:
    for located in facts.installs(task):
        install = located.install
        if install.ecosystem != "python" or install.upgrades_pip_only:
            continue
        names = {name for name in map(requirement_name, install.packages) if name}
        if names:
            yield _install_placement(task, located.text, install, names)
    yield from _virtualenv_placements(task)
    dependencies = task.prop("dependencies")
    if isinstance(dependencies, SequenceNode):
        names = {requirement_name(text) for text in map(scalar_text, dependencies.value)
                 if text and requirement_name(text)}
        if names:
            # Kestra puts them on PYTHONPATH, and their programs nowhere (docs/kestra.md §7).
            yield Placement("`dependencies`", frozenset(names), True, False)
    for call in facts.script_install_calls:
        if call.analysis.script.task is task:
            names = {name for site in call.sites for name in
                     map(requirement_name, site.install.packages) if name}
            if names:
                yield Placement(f"'{call.found.shown(60)}'", frozenset(names), True, True)
    if image is not None:
        held = distributions.image_distributions(image)
        if held:
            yield Placement(f"image '{image}'", frozenset(held), True, True)
    if provided:
        where = f"image '{image}'" if image else "the worker"
        yield Placement(f"{where} (with the packages the fix moves there)", frozenset(provided),
                        True, True)


def _virtualenv_placements(task: Task) -> Iterator[Placement]:
    """`python -m venv DIR` and `virtualenv DIR` put pip in DIR/bin (a task that installs
    with ./venv/bin/pip)."""
    for command in command_texts(task):
        value = command.node.value
        for simple in shell.split_commands(value):
            made = shell.virtualenv_made(simple)
            if made is not None and not made[1] & {"--without-pip", "--no-pip"}:
                yield Placement(f"'{shorten(value[simple.start:simple.end])}'",
                                frozenset({"pip"}), True, False, f"{_relative(made[0])}/bin",
                                by_folder_only=True)


def _hidden(placement: Placement, venv: str) -> Placement:
    """A virtual environment the task activates (or whose python it runs) does not see the
    packages of the image's or the worker's own Python."""
    if not placement.origin.startswith(("image ", "the worker")):
        return placement
    return placement._replace(importable=False, hidden_by=f"the task runs Python from the "
                              f"virtual environment {venv}, which does not see them")


def _virtualenv(task: Task) -> str | None:
    """The virtual environment whose Python the task's code runs in, if it makes one."""
    for command in command_texts(task):
        for simple in shell.split_commands(command.node.value):
            words = [word.text for word in simple.words]
            if len(words) == 2 and words[0] in (".", "source") and _ACTIVATE.match(words[1]):
                return _relative(_ACTIVATE.match(words[1]).group("venv"))
            if words and _VENV_PROGRAM.match(words[0]) and "python" in words[0]:
                return _relative(_VENV_PROGRAM.match(words[0]).group("venv"))
    return None


def _install_placement(task: Task, text: str, install: object, names: set[str]) -> Placement:
    quoted = f"'{text}'"
    target = _relative(install.target) if install.target else None
    if target is not None:
        return Placement(quoted, frozenset(names), False, False, f"{target}/bin")
    program = install.command.words[0].text if install.command.words else ""
    venv = _VENV_PROGRAM.match(program)
    if venv:
        folder = _relative(venv.group("venv"))
        return Placement(quoted, frozenset(names), True, False, f"{folder}/bin")
    return Placement(quoted, frozenset(names), True, True)


def _reach(placement: Placement, path: set[str], pythonpath: set[str]) -> Placement:
    """The placement with PATH and PYTHONPATH applied: `--target=deps` is importable when
    deps is on PYTHONPATH, and its programs are found when deps/bin is on PATH."""
    if placement.bin_dir is None:
        return placement
    folder = placement.bin_dir.removesuffix("/bin")
    importable = placement.importable or folder in pythonpath
    return placement._replace(importable=importable,
                              on_path=placement.on_path or placement.bin_dir in path)


# ----------------------------------------------------------------------------- PATH, PYTHONPATH

def _search_paths(task: Task) -> tuple[set[str], set[str]]:
    """The folders the task's shell adds to PATH and PYTHONPATH (the task's `env` and its
    `export` lines), relative to the working directory; activating a venv adds its bin."""
    path = _folders(get_text(task.prop("env"), "PATH"))
    pythonpath = _folders(get_text(task.prop("env"), "PYTHONPATH"))
    changes_folder = False
    for command in command_texts(task):
        for simple in shell.split_commands(command.node.value):
            words = [word.text for word in simple.words]
            for assignment in [*simple.assignments, *_exported(words)]:
                name, _, value = assignment.text.partition("=")
                if name == "PATH":
                    path |= _folders(value)
                elif name == "PYTHONPATH":
                    pythonpath |= _folders(value)
            if len(words) == 2 and words[0] in (".", "source") and _ACTIVATE.match(words[1]):
                path.add(f"{_relative(_ACTIVATE.match(words[1]).group('venv'))}/bin")
            if words[:1] in (["cd"], ["pushd"]):
                changes_folder = True
    if changes_folder:
        # After a `cd`, a relative entry names a folder under the new one: only those
        # anchored at the starting folder ($PWD/deps) still lead to the installed packages.
        path = {folder for folder in path if folder.startswith(_ANCHORED)}
        pythonpath = {folder for folder in pythonpath if folder.startswith(_ANCHORED)}
    return ({folder.removeprefix(_ANCHORED) for folder in path},
            {folder.removeprefix(_ANCHORED) for folder in pythonpath})


def _exported(words: list[str]) -> Iterator[shell.Word]:
    if words[:1] == ["export"]:
        yield from (shell.Word(word, 0, 0) for word in words[1:] if "=" in word)


def _folders(value: str | None) -> set[str]:
    """The folders of a PATH-like value relative to the task's starting folder; those
    written from $PWD are marked with _ANCHORED (they stay right after a `cd`)."""
    found = set()
    for part in (value or "").split(":"):
        part = part.strip()
        anchored = re.match(r"^(?:\$PWD|\$\{PWD\}|\$\(pwd\))/?", part)
        folder = _relative(part[anchored.end():] if anchored else part)
        if folder and "$" not in folder:
            found.add(_ANCHORED + folder if anchored else folder)
    return found


def _relative(path: str) -> str:
    path = path.strip()
    while path.startswith("./"):
        path = path[2:]
    return path.rstrip("/")


# ----------------------------------------------------------------------------- what runs

def _programs(facts: FlowFacts, task: Task) -> Iterator[tuple[str, str | None]]:
    """(program, folder it is called from or None) for each program the task starts."""
    for command in command_texts(task):
        for simple in shell.split_commands(command.node.value):
            if simple.words and not simple.words[0].expands:
                word = simple.words[0].text
                folder, _, name = word.rpartition("/")
                yield name, _relative(folder) if folder else None
    for program in sorted(facts.programs_run_by_scripts(task)):
        yield program, None


def _modules(facts: FlowFacts, task: Task) -> Iterator[str]:
    for analysis in facts.analyses_of(task):
        if analysis.parses:
            yield from (module.name for module in analysis.code.imports if not module.optional)
            yield from analysis.code.run_modules
    for command in command_texts(task):
        for simple in shell.split_commands(command.node.value):
            words = [word.text for word in simple.words]
            if not (words and words[0].rsplit("/", 1)[-1].startswith("python")):
                continue
            if "-m" in words[1:-1]:
                yield words[words.index("-m", 1) + 1].split(".")[0]
            elif "-c" in words[1:-1]:   # python -c "import pandas; ..."
                code = analyse_code(words[words.index("-c", 1) + 1])
                yield from (module.name for module in code.imports if not module.optional)


def _judge_program(run: TaskRun, placements: list[Placement], program: str,
                   folder: str | None) -> None:
    key = f"program {program}"
    run.used.add(key)
    providers = [(placement, placement.programs[program]) for placement in placements
                 if program in placement.programs and not (
                     placement.by_folder_only and folder is None and not placement.on_path)]
    if not providers:
        return   # the image's or the worker's: not the task's to judge
    for placement, _ in providers:
        if folder is None:
            found = placement.on_path
        elif folder.startswith("/") and placement.bin_dir is None:
            found = placement.on_path   # a system install: its programs are in a bin on PATH
        else:
            found = placement.bin_dir == folder
        if found and placement.importable:
            run.resolved[key] = placement.origin
            return
    placement, distribution = providers[0]
    reachable = [placement for placement, _ in providers if placement.on_path]
    if reachable and folder is None:
        # A console script imports its own package: found on PATH is not enough.
        run.problems.setdefault(key, f"'{program}' is found on PATH but {distribution}, the "
                                     f"package it runs, is not importable there "
                                     f"({reachable[0].hidden_by or 'not on PYTHONPATH'})")
        return
    if placement.bin_dir and folder is None:
        where = f"in {placement.bin_dir}, which is not on PATH"
    elif placement.bin_dir:
        where = f"in {placement.bin_dir}, not in {folder}"
    else:
        where = "where no program is put on PATH"
    run.problems.setdefault(key, f"'{program}' (from {distribution}) is installed by "
                                 f"{placement.origin} {where}")


def _judge_module(run: TaskRun, placements: list[Placement], module: str) -> None:
    key = f"module {module}"
    run.used.add(key)
    providers = [placement for placement in placements if placement.provides_module(module)]
    if not providers:
        return
    importable = [placement for placement in providers if placement.importable]
    if importable:
        run.resolved[key] = importable[0].origin
        return
    placement = providers[0]
    if placement.hidden_by:
        run.problems.setdefault(key, f"'{module}' would come from {placement.origin}, but "
                                     f"{placement.hidden_by}")
        return
    folder = (placement.bin_dir or "").removesuffix("/bin")
    run.problems.setdefault(key, f"'{module}' is installed by {placement.origin} into "
                                 f"{folder}, which is not on PYTHONPATH")


def lost_since(before: TaskRun, after: TaskRun) -> list[str]:
    """What the task still uses that resolved before and does not after, each with why."""
    lost = []
    for key in sorted(before.resolved.keys() & after.used - after.resolved.keys()):
        what = key.split(" ", 1)[1]
        lost.append(after.problems.get(key) or f"'{what}' came from {before.resolved[key]}, "
                                                 "which the task no longer has")
    return lost
