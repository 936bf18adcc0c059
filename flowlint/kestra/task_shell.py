"""Install commands of a task: which properties hold shell text, and where installs sit."""

from __future__ import annotations

from collections.abc import Iterator

from ruamel.yaml.nodes import ScalarNode, SequenceNode

from flowlint.findings import Span
from flowlint.kestra.flow import Task
from flowlint.lang.installs import Install, find_installs
from flowlint.records import NamedTuple
from flowlint.source import Source
from flowlint.yamlnodes import scalar_offset


class CommandText(NamedTuple):
    """One shell string of a task: a list item of beforeCommands/commands, or a script."""

    field: str          # beforeCommands, commands or script
    index: int | None   # position in the list; None for a script or a single string
    node: ScalarNode
    origin: str         # 'task', 'default' or 'forced-default'

    @property
    def label(self) -> str:
        return self.field if self.index is None else f"{self.field}[{self.index}]"


class LocatedInstall(NamedTuple):
    install: Install
    command: CommandText
    span: Span   # the installing simple command, in file offsets

    @property
    def text(self) -> str:
        node_text = self.command.node.value
        return " ".join(node_text[self.install.command.start:self.install.command.end].split())


def shell_fields(task: Task) -> tuple[str, ...]:
    """The properties of a task that /bin/sh runs."""
    kind = task.script_kind
    if kind is None:
        return ()
    if kind.shape in ("legacy", "commands"):
        return ("beforeCommands", "commands")
    if kind.language == "shell":
        return ("beforeCommands", "script")
    return ("beforeCommands",)


def command_texts(task: Task) -> Iterator[CommandText]:
    for field_name in shell_fields(task):
        prop = task.properties.get(field_name)
        if prop is None:
            continue
        if isinstance(prop.node, ScalarNode):
            yield CommandText(field_name, None, prop.node, prop.origin)
        elif isinstance(prop.node, SequenceNode):
            for index, item in enumerate(prop.node.value):
                if isinstance(item, ScalarNode):
                    yield CommandText(field_name, index, item, prop.origin)


def task_installs(source: Source, task: Task) -> list[LocatedInstall]:
    found = []
    for command in command_texts(task):
        for install in find_installs(command.node.value):
            start = scalar_offset(source, command.node, install.command.start)
            end = scalar_offset(source, command.node, max(install.command.end - 1, 0)) + 1
            found.append(LocatedInstall(install, command, Span(start, max(start, end))))
    return found
