"""The flow model: every task at any depth, its effective properties and its runner."""

from __future__ import annotations

from collections.abc import Iterator

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from flowlint.findings import Span
from flowlint.kestra import plugin_types
from flowlint.records import NamedTuple
from flowlint.source import Source
from flowlint.yamlnodes import (
    get,
    get_text,
    is_true,
    mapping_items,
    node_span,
    scalar_text,
)

# Top-level flow keys whose mappings are not tasks even when they have `id` and `type`
# (flow inputs and outputs do, for one).
_NON_TASK_ROOT_KEYS = frozenset({
    "id", "namespace", "inputs", "outputs", "variables", "labels", "pluginDefaults",
    "taskDefaults", "concurrency", "retry", "sla", "extend", "description", "revision",
    "disabled", "deleted", "workerGroup",
})


class PluginDefault(NamedTuple):
    type_key: str
    forced: bool
    values: MappingNode
    legacy_name: bool   # written under `taskDefaults`


class Property(NamedTuple):
    """A property's node and where its value came from: the task or a flow default."""

    node: Node
    origin: str   # 'task', 'default', 'forced-default'


class Runner(NamedTuple):
    kind: str     # docker, process, container, unknown
    origin: str   # 'stated', 'flow-default' or 'kestra-default'
    node: Node | None = None

    @property
    def starts_container(self) -> bool:
        return self.kind in ("docker", "container")

    def describe(self) -> str:
        label = plugin_types.RUNNER_LABELS[self.kind]
        if self.origin == "kestra-default":
            return f"{label}, Kestra's default as no runner is set"
        if self.origin == "flow-default":
            return f"{label}, from pluginDefaults"
        return label


class Task:
    """A task at any depth of a flow (triggers' tasks included). Two tasks are the same task
    only when they are one object: each is made from its own node."""

    __slots__ = ("id", "raw_type", "type", "node", "path", "span", "parents", "in_trigger",
                 "properties")

    def __init__(self, id: str, raw_type: str, type: str, node: MappingNode, path: str,
                 span: Span, parents: tuple[Task, ...], in_trigger: bool,
                 properties: dict[str, Property] | None = None) -> None:
        self.id = id
        self.raw_type = raw_type
        self.type = type
        self.node = node
        self.path = path
        self.span = span
        self.parents = parents
        self.in_trigger = in_trigger
        self.properties = {} if properties is None else properties

    def __repr__(self) -> str:
        return f"Task(id={self.id!r}, type={self.type!r}, path={self.path!r})"

    def prop(self, name: str) -> Node | None:
        found = self.properties.get(name)
        return found.node if found else None

    def prop_text(self, name: str) -> str | None:
        return scalar_text(self.prop(name))

    @property
    def script_kind(self) -> plugin_types.ScriptKind | None:
        return plugin_types.script_kind(self.type)

    @property
    def working_directory(self) -> Task | None:
        for parent in reversed(self.parents):
            if parent.type == plugin_types.WORKING_DIRECTORY:
                return parent
        return None


class Flow(NamedTuple):
    """One flow document: its tasks (at any depth) and its plugin defaults."""

    source: Source
    root: MappingNode
    id: str
    namespace: str
    document_index: int
    defaults: list[PluginDefault]
    tasks: list[Task]
    target_version: tuple[int, int] = (1, 0)

def is_flow(root: Node) -> bool:
    if not isinstance(root, MappingNode):
        return False
    has = {key for key, _, _ in mapping_items(root)}
    return "id" in has and "namespace" in has and ("tasks" in has or "triggers" in has)


def build_flow(source: Source, root: MappingNode, document_index: int,
               target_version: tuple[int, int] = (1, 0)) -> Flow:
    defaults = list(_plugin_defaults(root))
    flow = Flow(source, root, get_text(root, "id") or "", get_text(root, "namespace") or "",
                document_index, defaults, [], target_version)
    for task in _walk_tasks(source, root):
        task.properties = effective_properties(task.node, task.type, defaults)
        flow.tasks.append(task)
    return flow


def _plugin_defaults(root: MappingNode) -> Iterator[PluginDefault]:
    for key in ("pluginDefaults", "taskDefaults"):
        node = get(root, key)
        if not isinstance(node, SequenceNode):
            continue
        for entry in node.value:
            type_key = get_text(entry, "type")
            values = get(entry, "values")
            if type_key and isinstance(values, MappingNode):
                yield PluginDefault(type_key.strip(), is_true(get(entry, "forced")), values,
                                    key == "taskDefaults")


def default_applies(default: PluginDefault, task_type: str, raw_type: str) -> bool:
    """Kestra's rule: the default's type equals the task's or is a prefix of it."""
    key = default.type_key
    return task_type.startswith(key) or raw_type.startswith(key)   # equal is a prefix too


def effective_properties(node: MappingNode, task_type: str,
                         defaults: list[PluginDefault]) -> dict[str, Property]:
    properties = {key: Property(value, "task") for key, _, value in mapping_items(node)}
    raw_type = get_text(node, "type") or task_type
    for default in defaults:
        if not default_applies(default, task_type, raw_type):
            continue
        for key, _, value in mapping_items(default.values):
            if default.forced:
                properties[key] = Property(value, "forced-default")
            elif key not in properties:
                properties[key] = Property(value, "default")
    return properties


def _task_identity(node: Node) -> tuple[str, str] | None:
    """(id, type) when a mapping is a task: a string id and a dotted plugin type."""
    if not isinstance(node, MappingNode):
        return None
    task_id, task_type = get_text(node, "id"), get_text(node, "type")
    if task_id is None or task_type is None or "." not in task_type:
        return None
    return task_id, task_type


def _walk_tasks(source: Source, root: MappingNode) -> Iterator[Task]:
    visited: set[int] = set()
    stack: list[tuple[Node, str, tuple[Task, ...], bool]] = []
    for key, _, value in reversed(list(mapping_items(root))):
        if key not in _NON_TASK_ROOT_KEYS:
            stack.append((value, key, (), key == "triggers"))
    while stack:
        node, path, parents, in_trigger = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        identity = _task_identity(node)
        if identity is not None:
            task_id, raw_type = identity
            task = Task(task_id, raw_type, plugin_types.canonical_type(raw_type), node, path,
                        node_span(source, node), parents, in_trigger)
            yield task
            parents = parents + (task,)
        children = _children(node, path, parents, in_trigger)
        children.reverse()   # popped in document order
        stack.extend(children)


def _children(node: Node, path: str, parents: tuple[Task, ...],
              in_trigger: bool) -> list[tuple[Node, str, tuple[Task, ...], bool]]:
    if isinstance(node, MappingNode):
        return [(value, f"{path}.{key}", parents, in_trigger)
                for key, _, value in mapping_items(node) if not isinstance(value, ScalarNode)]
    if isinstance(node, SequenceNode):
        return [(item, f"{path}[{index}]", parents, in_trigger)
                for index, item in enumerate(node.value) if not isinstance(item, ScalarNode)]
    return []


def effective_runner(task: Task, target_version: tuple[int, int] = (1, 0)) -> Runner:
    """The runner a script task runs on, per docs/kestra.md §2."""
    runner_prop = task.properties.get("runner")
    task_runner_prop = task.properties.get("taskRunner")
    by_enum = _runner_from_enum(runner_prop)
    by_type = _runner_from_task_runner(task_runner_prop)
    if plugin_types.is_legacy_script(task.type):
        return by_enum or Runner("process", "kestra-default")
    # From 0.18 an explicit `runner` wins over `taskRunner`; before, taskRunner won.
    ordered = (by_enum, by_type) if target_version >= (0, 18) else (by_type, by_enum)
    for runner in ordered:
        if runner is not None:
            return runner
    return Runner("docker", "kestra-default")


def _origin(prop: Property) -> str:
    return "stated" if prop.origin == "task" else "flow-default"


def _runner_from_enum(prop: Property | None) -> Runner | None:
    text = scalar_text(prop.node) if prop else None
    if prop is None or text is None:
        return None
    return Runner(plugin_types.runner_of_enum(text), _origin(prop), prop.node)


def _runner_from_task_runner(prop: Property | None) -> Runner | None:
    if prop is None:
        return None
    runner_type = get_text(prop.node, "type")
    kind = plugin_types.runner_of_type(runner_type) if runner_type else "unknown"
    return Runner(kind, _origin(prop), prop.node)
