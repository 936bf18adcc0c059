"""FL009: the custom-image strategy for Node.js, system, R and Julia installs."""

from __future__ import annotations

import re

from ruamel.yaml.nodes import ScalarNode, SequenceNode

from flowlint import shell
from flowlint.checks.package_install_per_execution import (
    DEFAULT_ECOSYSTEMS,
    PackageInstall,
    task_package_installs,
)
from flowlint.commands import LocatedInstall
from flowlint.findings import Edit
from flowlint.fixes import custom_image
from flowlint.fixes.command_edits import _scalar_edit, in_flow_context, rewrite_installs
from flowlint.fixes.plan import FixOptions, PlannedFix, TaskFixContext, require
from flowlint.fixes.yamltext import Style, detect_style
from flowlint.model import Flow, Task, effective_runner
from flowlint.source import Source

NAME = custom_image.NAME
# What may share the line of a script install that is cut with it.
_LINE_PREFIX = {"r": re.compile(r"^\s*(?:if\s*\(.*\)\s*)?$"),
                "julia": re.compile(r"^\s*(?:(?:using|import)\s+Pkg\s*;\s*)?$")}
_LINE_SUFFIX = re.compile(r"^\s*;?\s*(?:#.*)?$")


def plan(flow: Flow, task: Task, options: FixOptions) -> PlannedFix:
    require(options.strategy in ("auto", NAME), f"FL009 is fixed by the {NAME} strategy only "
            f"(--strategy {NAME} or auto, with --image)")
    found = task_package_installs(flow, task, set(DEFAULT_ECOSYSTEMS))
    require(bool(found), f"'{task.id}' installs no packages per execution")
    style = detect_style(flow.source, flow.root)
    # custom-image sets the image; it cuts Python installs only, so these are cut here.
    context = TaskFixContext(flow, task, (), effective_runner(task, flow.target_version), style,
                             options, "FL009")
    planned = custom_image.plan(context)
    commands = {item.located: None for item in found if item.located is not None}
    _require_commands_left(task, commands)
    edits = list(planned.edits)
    if commands:
        edits.extend(rewrite_installs(flow.source, task, commands, style))
    calls = [item for item in found if item.call is not None]
    if calls:
        edits.extend(_cut_calls(flow.source, task, calls, style))
    return PlannedFix(planned.title, tuple(edits), safe=False, scope=planned.scope)


def _require_commands_left(task: Task, cut: dict[LocatedInstall, None]) -> None:
    """A Commands task needs a command: refuse to cut every item of `commands`."""
    prop = task.properties.get("commands")
    items = prop.node.value if prop is not None and isinstance(prop.node, SequenceNode) else []
    cut_commands = {(id(located.command.node), located.install.command) for located in cut}
    emptied = [item for item in items if isinstance(item, ScalarNode)
               and all((id(item), simple) in cut_commands
                       for simple in shell.split_commands(item.value))]
    require(not items or len(emptied) < len(items),
            f"removing the installs would leave '{task.id}' without `commands`")


def _cut_calls(source: Source, task: Task, calls: list[PackageInstall],
               style: Style) -> list[Edit]:
    """Remove the lines of the install calls from the script."""
    command = calls[0].call.command
    node = command.node
    require(command.origin == "task",
            "the script comes from pluginDefaults; remove the install calls there")
    value: str = node.value
    cut: list[tuple[int, int]] = []
    for item in calls:
        call = item.call
        start = value.rfind("\n", 0, call.start) + 1
        end_of_line = value.find("\n", call.end)
        end = len(value) if end_of_line < 0 else end_of_line + 1
        require(bool(_LINE_PREFIX[item.ecosystem].match(value[start:call.start]))
                and bool(_LINE_SUFFIX.match(value[call.end:end].rstrip("\n"))),
                f"'{item.text}' shares its line with other code; remove it by hand")
        cut.append((start, end))
    for start, end in sorted(set(cut), reverse=True):
        value = value[:start] + value[end:]
    require(bool(value.strip()), "removing the install calls would leave the script empty")
    return [_scalar_edit(source, node, value, style, in_flow_context(task, command))]
