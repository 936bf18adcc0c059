"""FL011: the same Python package installed by several tasks of one flow.

Counted: the task's own Python installs that run at every execution (the FL001/FL004 kind:
not kept by a WorkingDirectory cache). A `dependencies` list does not count: Kestra installs it
once and keeps it in its internal storage, keyed by the list and the Python version
(docs/kestra.md §6), so no execution installs it again. Installs written in pluginDefaults
are already shared and do not count.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass


from flowlint.facts.flow_facts import FlowFacts
from flowlint.findings import Finding, Span
from flowlint.kestra.flow import Flow, Task
from flowlint.lang.requirements import requirement_name

CODE = "FL011"
NAME = "duplicate-install"
_PLUGIN_DEFAULTS_FROM = (0, 23)   # `dependencies` exists from 0.23
_PLUGIN_DEFAULTS_UNTIL = (2, 0)   # 2.0 removes pluginDefaults
_PYTHON_TYPES = "io.kestra.plugin.scripts.python"
_BRANCHING = frozenset({"io.kestra.plugin.core.flow.If", "io.kestra.plugin.core.flow.Switch"})


@dataclass(frozen=True)
class Installed:
    task: Task
    name: str      # canonical distribution name
    span: Span     # the install command, or the `dependencies` item
    text: str      # the install command or the item, as written
    where: str


def check(facts: FlowFacts, parameters: Mapping[str, object]) -> Iterator[Finding]:
    by_task: dict[int, list[Installed]] = {}
    for item in installed_packages(facts):
        by_task.setdefault(id(item.task), []).append(item)
    installers: dict[str, list[Task]] = {}   # package -> tasks installing it, in flow order
    for items in by_task.values():
        task = items[0].task
        earlier = {item.name: [other for other in installers.get(item.name, [])
                               if not exclusive(task, other)] for item in items}
        shared = [item for item in items if earlier[item.name]]
        if shared:
            yield _finding(facts.flow, shared, earlier)
        for item in items:
            if task not in installers.setdefault(item.name, []):
                installers[item.name].append(task)


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
        for spec in located.install.packages:
            name = requirement_name(spec)
            if name and name != "pip":
                commands.setdefault(id(found.task), []).append(
                    Installed(found.task, name, located.span, located.text,
                              located.command.field))
    for task in facts.tasks:
        yield from commands.get(id(task), [])


def _finding(flow: Flow, shared: list[Installed], earlier: dict[str, list[Task]]) -> Finding:
    task = shared[0].task
    names = list(dict.fromkeys(item.name for item in shared))
    others = list({other.id: other for name in names for other in earlier[name]}.values())
    packages = ", ".join(f"'{name}'" for name in names)
    other_ids = ", ".join(f"'{other.id}'" for other in others)
    first = shared[0]
    return Finding(
        CODE,
        first.span,
        f"{packages} {'is' if len(names) == 1 else 'are'} also installed by {other_ids}; "
        f"'{task.id}' installs {'it' if len(names) == 1 else 'them'} again in {first.where}: "
        f"'{first.text}'; {_remedy(flow, [*others, task], names)}",
        task_id=task.id,
        yaml_path=f"{task.path}.{first.where}",
        detail=shared,
    )


def _remedy(flow: Flow, involved: list[Task], names: list[str]) -> str:
    them = "it" if len(names) == 1 else "them"
    remedy = f"install {them} once, in one image that these tasks share"
    python_only = all(task.type.startswith(_PYTHON_TYPES + ".")
                      and task.script_kind is not None and task.script_kind.shape != "legacy"
                      for task in involved)
    if python_only and _PLUGIN_DEFAULTS_FROM <= flow.target_version < _PLUGIN_DEFAULTS_UNTIL:
        remedy += (f", or list {them} once in pluginDefaults (type: {_PYTHON_TYPES}, "
                   f"values: {{dependencies: [{', '.join(names)}]}})")
    return remedy
