"""FL011: the same Python package installed by several tasks of one flow.

Counted: the task's own Python installs that run at every execution (the FL001/FL004 kind:
not kept by a WorkingDirectory cache). A `dependencies` list does not count: Kestra installs it
once and keeps it in its internal storage, keyed by the list and the Python version
(docs/kestra.md §6), so no execution installs it again. Installs written in pluginDefaults
are already shared and do not count.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from flowlint.facts.flow_facts import FlowFacts
from flowlint.findings import Finding, Span, shorten
from flowlint.kestra.flow import Flow, Task
from flowlint.lang.requirements import requirement_name
from flowlint.records import NamedTuple

CODE = "FL011"
NAME = "duplicate-install"
_PLUGIN_DEFAULTS_FROM = (0, 23)   # `dependencies` exists from 0.23
_PLUGIN_DEFAULTS_UNTIL = (2, 0)   # 2.0 removes pluginDefaults
_PYTHON_TYPES = "io.kestra.plugin.scripts.python"
_BRANCHING = frozenset({"io.kestra.plugin.core.flow.If", "io.kestra.plugin.core.flow.Switch"})


class Installed(NamedTuple):
    task: Task
    name: str      # canonical distribution name
    span: Span     # the install command, or the `dependencies` item
    text: str      # the install command or the item, as written
    where: str


# A finding names this many of the tasks that install its packages before, then counts the
# rest: a flow of 1,000 tasks installing pandas gets 999 findings of one line each, not 999
# lists of up to 998 ids.
SHOWN_TASKS = 5
# How many earlier installs a finding looks at to name them; the count comes from _Installers.
_SCAN_BUDGET = 64


def check(facts: FlowFacts, parameters: Mapping[str, object]) -> Iterator[Finding]:
    by_task: dict[int, list[Installed]] = {}
    for item in installed_packages(facts):
        by_task.setdefault(id(item.task), []).append(item)
    installers: dict[str, _Installers] = {}   # package -> the tasks installing it so far
    for items in by_task.values():
        task = items[0].task
        chain = _branches(task)
        counts = {item.name: installers[item.name].before(chain)
                  for item in items if item.name in installers}
        shared = [item for item in items if counts.get(item.name, (0, 0))[0]]
        if shared:
            yield _finding(facts.flow, shared, _Others.of(task, shared, counts, installers))
        for name in dict.fromkeys(item.name for item in items):
            installers.setdefault(name, _Installers()).add(task, chain)


def _branches(task: Task) -> tuple[tuple[int, str], ...]:
    """The If and Switch tasks above a task, outermost first, with the branch it is in."""
    return tuple((id(parent), _branch(task, parent)) for parent in task.parents
                 if parent.type in _BRANCHING)


class _Branches:
    """Tasks counted by the branches they sit in: `total` below this point, `under[If]` of
    them inside that If or Switch, and `inside[If][branch]` the same one level down."""

    __slots__ = ("inside", "other_types", "total", "under")

    def __init__(self) -> None:
        self.total = 0
        self.other_types = 0   # of them, tasks that are not Python Script or Commands tasks
        self.under: dict[int, tuple[int, int]] = {}
        self.inside: dict[int, dict[str, _Branches]] = {}


class _Installers:
    """The tasks that install one package, in flow order, and how many of them can run in
    the same execution as a given task, in time proportional to its nesting (not to their
    number): a task in one branch of an If or Switch never runs with one in another."""

    def __init__(self) -> None:
        self.tasks: list[Task] = []
        self.root = _Branches()

    def add(self, task: Task, chain: tuple[tuple[int, str], ...]) -> None:
        self.tasks.append(task)
        other = 0 if _python_script(task) else 1
        level = self.root
        for parent, branch in chain:
            level.total += 1
            level.other_types += other
            total, others = level.under.get(parent, (0, 0))
            level.under[parent] = (total + 1, others + other)
            level = level.inside.setdefault(parent, {}).setdefault(branch, _Branches())
        level.total += 1
        level.other_types += other

    def before(self, chain: tuple[tuple[int, str], ...]) -> tuple[int, int]:
        """How many tasks added so far can run with a task in `chain`, and how many of them
        are not Python Script or Commands tasks."""
        count = other = 0
        level = self.root
        for parent, branch in chain:
            total, others = level.under.get(parent, (0, 0))
            count += level.total - total          # outside this If: runs with the task
            other += level.other_types - others
            inside = level.inside.get(parent, {}).get(branch)
            if inside is None:                    # none in the task's branch
                return count, other
            level = inside
        return count + level.total, other + level.other_types


class _Others(NamedTuple):
    """The tasks that install a finding's packages before: the first few, and how many."""

    shown: list[Task]
    count: int            # all of them (a lower bound when `exact` is False)
    exact: bool
    all_python: bool      # all of them Python Script or Commands tasks

    @classmethod
    def of(cls, task: Task, shared: list[Installed], counts: dict[str, tuple[int, int]],
           installers: dict[str, _Installers]) -> _Others:
        names = list(dict.fromkeys(item.name for item in shared))
        found: dict[str, Task] = {}
        budget, complete = _SCAN_BUDGET, True
        for name in names:
            for other in installers[name].tasks:
                if budget == 0:
                    complete = False
                    break
                budget -= 1
                if other.id not in found and not exclusive(task, other):
                    found[other.id] = other
            if not complete:
                break
        all_python = all(counts[name][1] == 0 for name in names)
        if complete:
            return cls(list(found.values())[:SHOWN_TASKS], len(found), True, all_python)
        count = max(len(found), *(counts[name][0] for name in names))
        return cls(list(found.values())[:SHOWN_TASKS], count, len(names) == 1, all_python)

    def __str__(self) -> str:
        return self.named(len(self.shown))

    def named(self, limit: int) -> str:
        """The first `limit` shown tasks by id, and how many more."""
        shown = self.shown[:limit]
        ids = ", ".join(f"'{other.id}'" for other in shown)
        more = self.count - len(shown)
        if not more:
            return ids
        tasks = f"{more} {'more' if ids else 'other'} task{'s' if more > 1 else ''}"
        tasks = tasks if self.exact else f"at least {tasks}"
        return f"{ids} and {tasks}" if ids else tasks


def exclusive(first: Task, second: Task) -> bool:
    """Whether the tasks sit in different branches of one If or Switch: never both run."""
    for parent in reversed(first.parents):
        if parent.type in _BRANCHING and any(parent is other for other in second.parents):
            return _branch(first, parent) != _branch(second, parent)
    return False


def _branch(task: Task, parent: Task) -> str:
    """`then`, `else`, `cases.<value>` or `defaults`: the part of the path below `parent`."""
    return task.path[len(parent.path):].split("[", 1)[0]


def installed_packages(facts: FlowFacts) -> Iterator[Installed]:
    """Per task, in flow order: the packages of its per-execution installs."""
    commands: dict[int, list[Installed]] = {}
    for found in facts.python_installs:
        located = found.located
        if located.command.origin != "task" or located.install.upgrades_pip_only \
                or found.cached:
            continue
        text = None   # the command as written, made once: it is as long as the command
        for spec in located.install.packages:
            name = requirement_name(spec)
            if name and name != "pip":
                text = located.text if text is None else text
                commands.setdefault(id(found.task), []).append(
                    Installed(found.task, name, located.span, text, located.command.field))
    for task in facts.tasks:
        yield from commands.get(id(task), [])


def _finding(flow: Flow, shared: list[Installed], others: _Others) -> Finding:
    task = shared[0].task
    names = list(dict.fromkeys(item.name for item in shared))
    packages = ", ".join(f"'{name}'" for name in names)
    first = shared[0]
    # The first line names one earlier task; the help names the first few.
    return Finding(
        CODE,
        first.span,
        f"'{task.id}' installs {packages} again, as {others.named(1)} "
        f"{'does' if others.count == 1 else 'do'}: '{shorten(first.text, 40)}'",
        task_id=task.id,
        yaml_path=f"{task.path}.{first.where}",
        help=f"{packages} {'is' if len(names) == 1 else 'are'} also installed by {others}; "
             + _remedy(flow, others.all_python and _python_script(task), names),
        detail=shared,
    )


def _python_script(task: Task) -> bool:
    return (task.type.startswith(_PYTHON_TYPES + ".") and task.script_kind is not None
            and task.script_kind.shape != "legacy")


def _remedy(flow: Flow, python_only: bool, names: list[str]) -> str:
    them = "it" if len(names) == 1 else "them"
    remedy = f"install {them} once, in one image that these tasks share"
    if python_only and _PLUGIN_DEFAULTS_FROM <= flow.target_version < _PLUGIN_DEFAULTS_UNTIL:
        remedy += (f", or list {them} once in pluginDefaults (type: {_PYTHON_TYPES}, "
                   f"values: {{dependencies: [{', '.join(names)}]}})")
    return remedy
