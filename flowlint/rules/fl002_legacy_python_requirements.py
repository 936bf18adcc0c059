"""FL002: the legacy Python task builds a virtualenv and installs `requirements` every run.

The fix migrates the task to python.Commands, its packages moved by the chosen strategy
(flowlint.remedies.legacy_migration).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ruamel.yaml.nodes import Node

from flowlint.facts.flow_facts import FlowFacts
from flowlint.findings import Finding, Fix, Span, shorten
from flowlint.kestra import plugin_types
from flowlint.kestra.flow import Task
from flowlint.records import TYPE_CHECKING
from flowlint.source import Source
from flowlint.yamlnodes import node_span, string_list

if TYPE_CHECKING:
    from flowlint.remedies.fix_context import FixRequest

CODE = "FL002"
NAME = "legacy-python-requirements"
FIX_NAME = "migrate"
FIXED_BY_STRATEGIES = True


def check(facts: FlowFacts, parameters: Mapping[str, object]) -> Iterator[Finding]:
    for task in facts.tasks:
        if task.type != plugin_types.LEGACY_PYTHON:
            continue
        requirements = task.properties.get("requirements")
        packages = string_list(requirements.node) if requirements else []
        if not packages:
            continue
        key_span = _key_span(facts.source, task, requirements.node)
        yield Finding(
            CODE,
            key_span,
            f"legacy task '{task.id}' installs its requirements in a fresh virtualenv at "
            f"every execution: {shorten(', '.join(packages), 50)}",
            task_id=task.id,
            yaml_path=f"{task.path}.requirements",
            help=f"migrate it from {task.raw_type} to io.kestra.plugin.scripts.python.Commands "
                 f"with `dependencies`",
            detail=task,
        )


def fix(request: FixRequest) -> Fix:
    # Fixing code loads when a fix is planned: checking a clean flow never imports it.
    from flowlint.remedies import legacy_migration

    task = next(request.details(Task))
    return legacy_migration.plan(request.flow, task, request.options, request.style)


def _key_span(source: Source, task: Task, value_node: Node) -> Span:
    """The span of the `requirements` key when the task writes it, else of the value."""
    for key, value in task.node.value:
        if value is value_node:
            return node_span(source, key)
    return node_span(source, value_node)
