"""FL008: a Docker-run task that pulls its image at every execution.

`pullPolicy: ALWAYS` asks the registry at every run; before Kestra 0.23 it was also the
default of the Docker task runner and of the older `docker`/`dockerOptions` settings.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ruamel.yaml.nodes import MappingNode, Node

from flowlint.facts.flow_facts import FlowFacts
from flowlint.findings import Edit, Finding, Fix, Span, require
from flowlint.kestra import plugin_types
from flowlint.kestra.flow import Flow, Property, Task
from flowlint.kestra.images import docker_options_key, pinned, task_image
from flowlint.records import TYPE_CHECKING, NamedTuple
from flowlint.source import Source
from flowlint.yamlnodes import get, get_text, node_span, scalar_text

if TYPE_CHECKING:
    from flowlint.remedies.fix_context import FixRequest
    from flowlint.remedies.yaml_text import Style

CODE = "FL008"
NAME = "image-pulled-every-run"
FIX_NAME = "pull-if-not-present"
POLICY = "IF_NOT_PRESENT"
DOCKER_RUN = "io.kestra.plugin.docker.Run"
DEFAULT_CHANGED = (0, 23)   # pullPolicy defaults to IF_NOT_PRESENT from this version on


class PullProblem(NamedTuple):
    task: Task
    setting: str             # taskRunner, docker, dockerOptions, task (docker.Run's own) or ''
                             # (nothing written: Kestra's default runner)
    holder: Property | None  # the mapping that holds (or should hold) pullPolicy
    policy: Node | None      # the pullPolicy value when written
    anchor: Span             # where the finding points

    @property
    def explicit(self) -> bool:
        return self.policy is not None


def pull_problems(facts: FlowFacts) -> Iterator[PullProblem]:
    for task in facts.tasks:
        problem = _problem(facts, task)
        if problem is not None:
            yield problem


def _problem(facts: FlowFacts, task: Task) -> PullProblem | None:
    flow = facts.flow
    if task.type == DOCKER_RUN:
        return _docker_run_problem(flow, task)
    runner = facts.runner(task)
    if runner.kind != "docker":
        return None
    setting = _setting(flow, task)
    if setting is None:
        return None
    holder = task.properties.get(setting) if setting else None
    policy = get(holder.node, "pullPolicy") if holder else None
    value = (scalar_text(policy) or "").strip().upper()
    if policy is not None:
        if value != "ALWAYS":
            return None
        return PullProblem(task, setting, holder, policy, node_span(flow.source, policy))
    if flow.target_version >= DEFAULT_CHANGED:
        return None
    if setting == "taskRunner":
        anchor_node = get(holder.node, "type") or holder.node
    elif holder is not None:
        anchor_node = _key_of(task, holder.node) or holder.node
    else:
        runner_prop = task.properties.get("runner")
        anchor_node = runner_prop.node if runner_prop else None
    if anchor_node is None:   # nothing written: point at the task's type
        anchor_node = get(task.node, "type") or task.node
    anchor = node_span(flow.source, anchor_node)
    return PullProblem(task, setting, holder, None, anchor)


def _docker_run_problem(flow: Flow, task: Task) -> PullProblem | None:
    """docker.Run is no script task: its own `pullPolicy` says how it pulls."""
    prop = task.properties.get("pullPolicy")
    holder = Property(task.node, prop.origin if prop else "task")
    if prop is not None:
        if (scalar_text(prop.node) or "").strip().upper() != "ALWAYS":
            return None
        return PullProblem(task, "task", holder, prop.node, node_span(flow.source, prop.node))
    if flow.target_version >= DEFAULT_CHANGED:
        return None
    return PullProblem(task, "task", holder, None,
                       node_span(flow.source, get(task.node, "type") or task.node))


def _key_of(task: Task, value: Node) -> Node | None:
    """The key of a task's own property, to point at `docker:` rather than its whole block."""
    return next((key for key, item in task.node.value if item is value), None)


def _setting(flow: Flow, task: Task) -> str | None:
    """Which property configures the task's Docker runner ('' when Kestra's default does),
    or None when flowlint cannot tell that the task runs in Docker at all."""
    if plugin_types.is_legacy_script(task.type):
        return "dockerOptions"
    runner_prop = task.properties.get("taskRunner")
    by_enum = task.properties.get("runner") is not None
    options = docker_options_key(task)
    task_runner_wins = runner_prop is not None and (not by_enum
                                                    or flow.target_version < (0, 18))
    if task_runner_wins and isinstance(runner_prop.node, MappingNode):
        # A Docker task runner is built from the docker options when they are set
        # (docs/kestra.md §2): its own pullPolicy is not read then.
        docker = plugin_types.runner_of_type(get_text(runner_prop.node, "type") or "")
        return options if options and docker == "docker" else "taskRunner"
    if runner_prop is not None and not by_enum:
        return None   # a taskRunner that is not a mapping (a Pebble expression)
    if options:
        return options
    if by_enum or task.script_kind is not None or task.prop("containerImage") is not None:
        return ""
    return None


def image_of(flow: Flow, task: Task) -> str | None:
    return task_image(task, flow.target_version).reference


def check(facts: FlowFacts, parameters: Mapping[str, object]) -> Iterator[Finding]:
    flow = facts.flow
    reported: set[Span] = set()   # a pluginDefaults taskRunner is shared by its tasks
    for problem in pull_problems(facts):
        if problem.anchor in reported:
            continue
        reported.add(problem.anchor)
        task = problem.task
        image = image_of(flow, task)
        image_label = f"image '{image}'" if image else "its image"
        origin = " (from pluginDefaults)" if problem.holder is not None \
            and problem.holder.origin != "task" else ""
        setting = "the task" if problem.setting == "task" else problem.setting
        if problem.explicit:
            cause = f"`pullPolicy: ALWAYS` in {setting}{origin}"
            why = ""
        else:
            cause = f"{setting}{origin} sets no pullPolicy" if setting \
                else "no Docker settings are written"
            version = ".".join(str(part) for part in flow.target_version)
            why = (f"before Kestra 0.23 the default pullPolicy was ALWAYS (target version "
                   f"{version}); ")
        yield Finding(
            CODE,
            problem.anchor,
            f"'{task.id}' pulls {image_label} from its registry at every execution: {cause}",
            task_id=task.id,
            help=f"{why}a registry outage or a Docker Hub rate limit then fails the run; "
                 f"set pullPolicy: IF_NOT_PRESENT",
            yaml_path=f"{task.path}.{problem.setting}"
            if problem.setting not in ("", "task") else task.path,
            detail=problem,
        )


# ----------------------------------------------------------------------------- fix

def fix(request: FixRequest) -> Fix:
    flow, task, style = request.flow, request.task, request.style
    problem = next(request.details(PullProblem))
    if problem.holder is not None:
        require(problem.holder.origin == "task", f"`{problem.setting}` of '{task.id}' comes "
                "from pluginDefaults; set pullPolicy there")
        require(isinstance(problem.holder.node, MappingNode),
                f"`{problem.setting}` of '{task.id}' is not a mapping")
        edit = _set_policy(flow.source, problem, style)
    else:
        edit = _add_settings(flow, task, problem, style)
    image = image_of(flow, task) or ""
    # Unsafe when someone wrote ALWAYS, when the tag may move (the worker keeps its first
    # copy), and when the fix writes the runner itself: that overrides a runner the namespace
    # or the server may set for the task, which the flow cannot show.
    safe = not problem.explicit and pinned(image) and problem.holder is not None
    title = f"set pullPolicy {POLICY}"
    if problem.holder is None:
        title += " in a Docker taskRunner written on the task (it overrides a namespace " \
                 "or server default runner)"
    return Fix(title, (edit,), safe=safe, scope=frozenset({task.id}))


def _set_policy(source: Source, problem: PullProblem, style: Style) -> Edit:
    # Fixing code loads when a fix is planned: checking a clean flow never imports it.
    from flowlint.remedies.task_edits import set_mapping_key
    from flowlint.remedies.yaml_text import rewrite_scalar

    if problem.policy is not None:
        return rewrite_scalar(source, problem.policy, POLICY, style,
                              in_flow=bool(problem.holder.node.flow_style))
    mapping = problem.holder.node
    if mapping.flow_style:
        return _add_to_flow_mapping(source, mapping, style)
    return set_mapping_key(source, mapping, "pullPolicy", POLICY, style)


def _add_to_flow_mapping(source: Source, mapping: MappingNode, style: Style) -> Edit:
    """`{type: X}` becomes `{type: X, pullPolicy: IF_NOT_PRESENT}`."""
    from flowlint.remedies.yaml_text import quote_scalar

    end = source.offset(mapping.end_mark.line, mapping.end_mark.column)
    close = source.text.rfind("}", 0, end)
    at = close
    while at > 0 and source.text[at - 1] in " \t":
        at -= 1
    require(close > 0 and "\n" not in source.text[at:close] and mapping.value,
            "the Docker settings are an empty or multi-line flow mapping")
    return Edit(at, at, f", pullPolicy: {quote_scalar(POLICY, style, in_flow=True)}")


def _add_settings(flow: Flow, task: Task, problem: PullProblem, style: Style) -> Edit:
    """Nothing written: the syntax of the target version for Kestra's default runner."""
    from flowlint.remedies.task_edits import append_properties, own_entry

    require(own_entry(task, "docker") is None and own_entry(task, "taskRunner") is None,
            f"'{task.id}' has Docker settings flowlint cannot edit")
    require(not plugin_types.is_legacy_script(task.type), f"'{task.id}' is a legacy script task: "
            "add pullPolicy to its dockerOptions, with the image, by hand")
    if flow.target_version >= (0, 18) and task.properties.get("runner") is None:
        runner = {"type": plugin_types.DOCKER_RUNNER, "pullPolicy": POLICY}
        return append_properties(flow.source, task, {"taskRunner": runner}, style)
    return append_properties(flow.source, task, {"docker": {"pullPolicy": POLICY}}, style)
