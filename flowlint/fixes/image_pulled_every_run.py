"""FL008: set pullPolicy IF_NOT_PRESENT where the task's Docker settings are written."""

from __future__ import annotations

from ruamel.yaml.nodes import MappingNode

from flowlint import kestra
from flowlint.checks.image_pulled_every_run import PullProblem, image_of, pull_problems
from flowlint.findings import Edit
from flowlint.fixes.plan import FixOptions, PlannedFix, require
from flowlint.fixes.task_edits import append_properties, own_entry, set_mapping_key
from flowlint.fixes.yamltext import Style, detect_style, quote_scalar, rewrite_scalar
from flowlint.model import Flow, Task
from flowlint.source import Source

NAME = "pull-if-not-present"
POLICY = "IF_NOT_PRESENT"


def plan(flow: Flow, task: Task, options: FixOptions) -> PlannedFix:
    problem = next((item for item in pull_problems(flow) if item.task is task), None)
    require(problem is not None, f"'{task.id}' does not pull its image at every run")
    style = detect_style(flow.source, flow.root)
    if problem.holder is not None:
        require(problem.holder.origin == "task", f"`{problem.setting}` of '{task.id}' comes "
                "from pluginDefaults; set pullPolicy there")
        require(isinstance(problem.holder.node, MappingNode),
                f"`{problem.setting}` of '{task.id}' is not a mapping")
        edit = _set_policy(flow.source, problem, style)
    else:
        edit = _add_settings(flow, task, problem, style)
    image = image_of(flow, task, problem) or ""
    moving = ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest")
    return PlannedFix(f"set pullPolicy {POLICY}", (edit,),
                      safe=not problem.explicit and not moving,
                      scope=frozenset({task.id}))


def _set_policy(source: Source, problem: PullProblem, style: Style) -> Edit:
    if problem.policy is not None:
        return rewrite_scalar(source, problem.policy, POLICY, style,
                              in_flow=bool(problem.holder.node.flow_style))
    mapping = problem.holder.node
    if mapping.flow_style:
        return _add_to_flow_mapping(source, mapping, style)
    return set_mapping_key(source, mapping, "pullPolicy", POLICY, style)


def _add_to_flow_mapping(source: Source, mapping: MappingNode, style: Style) -> Edit:
    """`{type: X}` becomes `{type: X, pullPolicy: IF_NOT_PRESENT}`."""
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
    require(own_entry(task, "docker") is None and own_entry(task, "taskRunner") is None,
            f"'{task.id}' has Docker settings flowlint cannot edit")
    require(not kestra.is_legacy_script(task.type), f"'{task.id}' is a legacy script task: "
            "add pullPolicy to its dockerOptions, with the image, by hand")
    if flow.target_version >= (0, 18) and task.properties.get("runner") is None:
        runner = {"type": kestra.DOCKER_RUNNER, "pullPolicy": POLICY}
        return append_properties(flow.source, task, {"taskRunner": runner}, style)
    return append_properties(flow.source, task, {"docker": {"pullPolicy": POLICY}}, style)
