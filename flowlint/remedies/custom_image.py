"""Strategy `custom-image`: run the task in an image with the packages baked in."""

from __future__ import annotations

from string import Formatter

from ruamel.yaml.nodes import MappingNode, ScalarNode

from flowlint.findings import Edit, Fix, FixRefused, require
from flowlint.kestra import plugin_types
from flowlint.kestra.flow import Flow, Task
from flowlint.lang.image_reference import image_reference_problem
from flowlint.remedies import script_edits
from flowlint.remedies.command_edits import rewrite_installs
from flowlint.remedies.fix_context import TaskFixContext
from flowlint.remedies.install_args import moved_distributions, require_plain_packages
from flowlint.remedies.task_edits import (
    append_properties,
    own_entry,
    replace_value,
    set_mapping_key,
)
from flowlint.remedies.yaml_text import rewrite_scalar
from flowlint.yamlnodes import get, get_text

NAME = "custom-image"


def image_name(template: str | None, flow: Flow, task: Task) -> str:
    """The --image template filled in for `task`; refused unless the result is an image
    reference, so a fix never writes an image Docker cannot pull (a task id with a line
    break). Ids are lowercased: Docker takes `saleswarehouse` for a flow `salesWarehouse`."""
    if not template:
        raise FixRefused("custom-image needs an image name: pass --image NAME (or set "
                         "fix.image in the config; {namespace}, {flow} and {task} are filled in)")
    image = _fill(template, {"namespace": flow.namespace.lower(), "flow": flow.id.lower(),
                             "task": task.id.lower()})
    problem = image_reference_problem(image)
    require(problem is None, f"image '{image}' (from --image '{template}') is not an image "
            f"reference: {problem}")
    return image


def _fill(template: str, values: dict[str, str]) -> str:
    """str.format restricted to plain {namespace}, {flow} and {task}: anything else
    (`{other}`, `{flow.attr}`, `{flow[0]}`, `{flow!r}`, `{flow:>9}`) is refused, not evaluated."""
    usage = "use {namespace}, {flow} and {task}"
    try:
        parts = list(Formatter().parse(template))
    except ValueError as error:
        raise FixRefused(f"image template '{template}' is not valid ({error}); {usage}") from None
    filled = []
    for literal, field, spec, conversion in parts:
        filled.append(literal)
        if field is not None:
            require(field in values, f"image template '{template}' is not valid (unknown "
                    f"field '{field}'); {usage}")
            require(not spec and conversion is None, f"image template '{template}' is not "
                    f"valid ('{field}' takes no conversion or format); {usage}")
            filled.append(values[field])
    return "".join(filled)


def plan(ctx: TaskFixContext) -> Fix:
    image = image_name(ctx.options.image, ctx.flow, ctx.task)
    task = ctx.task
    require(not plugin_types.is_legacy_script(task.type), f"'{task.id}' has the legacy type "
            f"{task.raw_type}; migrate it to io.kestra.plugin.scripts first")
    # The packages must be listed where they move to (an image, the server's start).
    require_plain_packages(ctx.all_installs, NAME, allow_index=True)
    edits = rewrite_installs(ctx.source, task, {located: None for located in ctx.installs},
                             ctx.style)
    edits.extend(script_edits.removal_edits(ctx))
    edits.extend(_image_edits(ctx, image))
    edits.extend(_pull_policy_edits(ctx))
    title = f"use image '{image}' with the packages baked in"
    return Fix(title + script_edits.listed_packages(ctx), tuple(edits),
               safe=False, scope=frozenset({task.id}), runs_in=image,
               provides=moved_distributions(ctx.all_installs))


def _image_edits(ctx: TaskFixContext, image: str) -> list[Edit]:
    task = ctx.task
    docker = own_entry(task, "docker")
    # Kestra 2.0 removed `docker`: from there on the image is always containerImage.
    keeps_docker = docker is not None and own_entry(task, "containerImage") is None \
        and ctx.target < (2, 0)
    if ctx.target < (0, 18) or keeps_docker:
        if docker is None:
            return [append_properties(ctx.source, task, {"docker": {"image": image}}, ctx.style)]
        require(isinstance(docker[1], MappingNode), "`docker` is not a mapping")
        if get(docker[1], "image") is None:
            return [set_mapping_key(ctx.source, docker[1], "image", image, ctx.style)]
        return [_replace_in_mapping(ctx, docker[1], "image", image)]
    if own_entry(task, "containerImage") is not None:
        return [replace_value(ctx.source, task, "containerImage", image, ctx.style)]
    return [append_properties(ctx.source, task, {"containerImage": image}, ctx.style)]


def _replace_in_mapping(ctx: TaskFixContext, mapping: MappingNode, key: str, value: str) -> Edit:
    node = get(mapping, key)
    require(isinstance(node, ScalarNode), f"`{key}` is not a plain value")
    return rewrite_scalar(ctx.source, node, value, ctx.style, in_flow=bool(mapping.flow_style))


def _pull_policy_edits(ctx: TaskFixContext) -> list[Edit]:
    """IF_NOT_PRESENT where a Docker taskRunner is written, so the image is not re-pulled."""
    runner = own_entry(ctx.task, "taskRunner")
    if runner is None or not isinstance(runner[1], MappingNode):
        return []
    runner_type = get_text(runner[1], "type") or ""
    if plugin_types.runner_of_type(runner_type) != "docker":
        return []
    policy = get(runner[1], "pullPolicy")
    if policy is None:
        return [set_mapping_key(ctx.source, runner[1], "pullPolicy", "IF_NOT_PRESENT", ctx.style)]
    if get_text(runner[1], "pullPolicy") == "ALWAYS":
        return [_replace_in_mapping(ctx, runner[1], "pullPolicy", "IF_NOT_PRESENT")]
    return []
