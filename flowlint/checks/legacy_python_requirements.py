"""FL002: the legacy Python task builds a virtualenv and installs `requirements` every run."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from flowlint import kestra
from ruamel.yaml.nodes import Node

from flowlint.findings import Finding, Span
from flowlint.model import Flow, Task
from flowlint.yamlnodes import node_span, string_list

CODE = "FL002"


def check(flow: Flow, parameters: Mapping[str, object]) -> Iterator[Finding]:
    for task in flow.tasks:
        if task.type != kestra.LEGACY_PYTHON:
            continue
        requirements = task.properties.get("requirements")
        packages = string_list(requirements.node) if requirements else []
        if not packages:
            continue
        key_span = _key_span(flow, task, requirements.node)
        yield Finding(
            CODE,
            key_span,
            f"legacy task '{task.id}' ({task.raw_type}) creates a fresh virtualenv and "
            f"pip-installs its requirements {packages} on every execution; migrate it to "
            f"io.kestra.plugin.scripts.python.Script with `dependencies`",
            task_id=task.id,
            yaml_path=f"{task.path}.requirements",
        )


def _key_span(flow: Flow, task: Task, value_node: Node) -> Span:
    """The span of the `requirements` key when the task writes it, else of the value."""
    for key, value in task.node.value:
        if value is value_node:
            return node_span(flow.source, key)
    return node_span(flow.source, value_node)
