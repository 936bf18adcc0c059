"""Strategy `custom-image`: run the task in an image with the packages baked in."""

from __future__ import annotations

from string import Formatter

from ruamel.yaml.nodes import MappingNode, ScalarNode

from flowlint.findings import Edit, Fix, FixRefused, require
from flowlint.kestra import plugin_types
from flowlint.kestra.flow import Flow, Task
from flowlint.kestra.images import docker_options_key
from flowlint.lang.image_reference import image_reference_problem
from flowlint.remedies import script_edits
from flowlint.remedies.command_edits import remove_property, rewrite_installs
from flowlint.remedies.fix_context import TaskFixContext
from flowlint.remedies.image_packages import ImagePackages, PackageList
from flowlint.remedies.image_record import ImageRecord, find_records
from flowlint.remedies.install_args import (
    moved_distributions,
    require_index_kept,
    require_plain_packages,
)
from flowlint.remedies.task_edits import (
    append_comment,
    append_properties,
    own_entry,
    replace_value,
    set_mapping_key,
)
from flowlint.remedies.yaml_text import Style, rewrite_scalar
from flowlint.source import Source
from flowlint.yamlnodes import get, get_text

NAME = "custom-image"


def image_name(template: str | None, flow: Flow, task: Task) -> str:
    """The --image template filled in for `task` (see image_name_for)."""
    return image_name_for(template, flow.namespace, flow.id, task.id)


def image_name_for(template: str | None, namespace: str, flow: str, task: str) -> str:
    """The --image template filled in; refused unless the result is an image reference, so
    a fix never writes an image Docker cannot pull (a task id with a line break). Ids are
    lowercased: Docker takes `saleswarehouse` for a flow `salesWarehouse`. `flowlint image`
    names its build contexts with this same function."""
    if not template:
        raise FixRefused("custom-image needs an image name: pass --image NAME (or set "
                         "fix.image in the config; {namespace}, {flow} and {task} are filled in)")
    image = _fill(template, {"namespace": namespace.lower(), "flow": flow.lower(),
                             "task": task.lower()})
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


def plan(ctx: TaskFixContext, system: ImagePackages = ImagePackages()) -> Fix:
    """Point the task at its image and remove the Python installs of `ctx` (and note the
    `system` packages, whose installs the caller removes: FL009)."""
    image = image_name(ctx.options.image, ctx.flow, ctx.task)
    task = ctx.task
    require(not plugin_types.is_legacy_script(task.type), f"'{task.id}' has the legacy type "
            f"{task.raw_type}; migrate it to io.kestra.plugin.scripts first")
    # The packages must be listed where they move to (an image, the server's start).
    require_plain_packages(ctx.all_installs, NAME, allow_index=True)
    require_index_kept(ctx.task, NAME)
    listed = PackageList()
    for site in ctx.all_installs:
        listed.add_install(site.install, f"'{site.text}'")
    require(not listed.problems, listed.problems[0] if listed.problems else "")
    current = ctx.facts.image(task)
    edits = [record_edit(ctx.source, ctx.flow, task, image, current.reference, current.origin,
                         listed.packages().union(system), ctx.style)]
    edits.extend(rewrite_installs(ctx.source, task, {located: None for located in ctx.installs},
                                  ctx.style))
    edits.extend(script_edits.removal_edits(ctx))
    edits.extend(_image_edits(ctx, image))
    edits.extend(_pull_policy_edits(ctx))
    title = f"use image '{image}' with the packages baked in"
    return Fix(title + script_edits.listed_packages(ctx), tuple(edits),
               safe=False, scope=frozenset({task.id}), runs_in=image,
               provides=moved_distributions(ctx.all_installs))


def record_edit(source: Source, flow: Flow, task: Task, image: str, current: str | None,
                origin: str, packages: ImagePackages, style: Style) -> Edit:
    """The note `flowlint image` reads (flowlint.remedies.image_record): the task's own note
    grows when a second fix moves more packages into the same image; a new note names the
    image the task runs in today as the one to build FROM. One image name serves one base
    image and one package set: a note of another task naming it otherwise refuses the fix."""
    require(not task.node.flow_style, f"'{task.id}' is written in flow style ({{...}}): the "
            "fix cannot leave the note `flowlint image` reads; write the task in block style")
    records = [found for found in find_records(source.text) if found.record is not None]
    own = next((found for found in records
                if found.record.is_for(flow.namespace, flow.id, task.id)), None)
    if own is not None and own.record.image == current:
        base, packages = own.record.base, own.record.packages.union(packages)
    else:
        require(current is not None, f"the image '{task.id}' runs in cannot be told "
                f"({origin}), so neither can the image to build FROM")
        require(current != image, f"'{task.id}' already runs '{image}', and no note says "
                "which image it was built from; point the task back at that image first")
        base = current
    for found in records:
        other = found.record
        if found is own or other.image != image:
            continue
        require(other.base == base and other.packages.same_as(packages),
                f"image '{image}' is already meant for '{other.task}' of {other.namespace}/"
                f"{other.flow} (line {found.line}), FROM '{other.base}' with "
                f"{other.packages.summary()}; '{task.id}' needs FROM '{base}' with "
                f"{packages.summary()}: one name serves one image, so put {{task}} in --image")
    record = ImageRecord(image, flow.namespace, flow.id, task.id, base, packages)
    if own is None:
        return append_comment(source, task, record.comment(), style)
    line = source.text[own.start:own.end]
    indent = line[:len(line) - len(line.lstrip(" \t"))]
    line_break = line[len(line.rstrip("\r\n")):]
    return Edit(own.start, own.end, indent + record.comment() + line_break)


def _image_edits(ctx: TaskFixContext, image: str) -> list[Edit]:
    """The image set where it takes effect: in the task's Docker options when it writes them
    (they win over containerImage, docs/kestra.md §2), else in containerImage (`docker:`
    before 0.18). Kestra 2.0 has no `docker`: the block goes, and its pullPolicy moves to a
    Docker taskRunner."""
    task = ctx.task
    key = docker_options_key(task)
    block = own_entry(task, key) if key else None
    require(key is None or block is not None, f"`{key}` of '{task.id}' comes from "
            "pluginDefaults; set the image there")
    if block is not None and key == "docker" and ctx.target >= (2, 0):
        return _drop_docker_block(ctx, block[1], image)
    if block is not None:
        if get(block[1], "image") is None:
            return [set_mapping_key(ctx.source, block[1], "image", image, ctx.style)]
        return [_replace_in_mapping(ctx, block[1], "image", image)]
    if ctx.target < (0, 18):
        return [append_properties(ctx.source, task, {"docker": {"image": image}}, ctx.style)]
    if own_entry(task, "containerImage") is not None:
        return [replace_value(ctx.source, task, "containerImage", image, ctx.style)]
    return [append_properties(ctx.source, task, {"containerImage": image}, ctx.style)]


def _drop_docker_block(ctx: TaskFixContext, block: MappingNode, image: str) -> list[Edit]:
    """Kestra 2.0 reads no `docker` block: it goes, the image goes to containerImage and the
    runner's settings to a Docker taskRunner (IF_NOT_PRESENT: the image is built and pushed
    once). Options with no taskRunner counterpart are left to the user."""
    task = ctx.task
    keys = sorted(key.value for key, _ in block.value if isinstance(key, ScalarNode))
    require(set(keys) <= {"image", "pullPolicy"}, f"the `docker` options of '{task.id}' "
            f"({', '.join(keys)}) have no place in a Kestra 2.0 flow: move them to its "
            "taskRunner by hand, then run the fix again")
    runner = own_entry(task, "taskRunner")
    edits = [remove_property(ctx.source, task, "docker")]
    if own_entry(task, "containerImage") is not None:
        edits.append(replace_value(ctx.source, task, "containerImage", image, ctx.style))
        added: dict[str, object] = {}
    else:
        added = {"containerImage": image}
    if runner is None:
        added["taskRunner"] = {"type": plugin_types.DOCKER_RUNNER, "pullPolicy": "IF_NOT_PRESENT"}
    if added:
        edits.append(append_properties(ctx.source, task, added, ctx.style))
    return edits


def _replace_in_mapping(ctx: TaskFixContext, mapping: MappingNode, key: str, value: str) -> Edit:
    node = get(mapping, key)
    require(isinstance(node, ScalarNode), f"`{key}` is not a plain value")
    return rewrite_scalar(ctx.source, node, value, ctx.style, in_flow=bool(mapping.flow_style))


def _pull_policy_edits(ctx: TaskFixContext) -> list[Edit]:
    """IF_NOT_PRESENT where the Docker runner's settings are written, so the image is not
    re-pulled: in the Docker options when the task writes them, else in its taskRunner."""
    key = docker_options_key(ctx.task)
    settings = own_entry(ctx.task, key) if key else own_entry(ctx.task, "taskRunner")
    if settings is None or not isinstance(settings[1], MappingNode):
        return []
    if key is None:
        runner_type = get_text(settings[1], "type") or ""
        if plugin_types.runner_of_type(runner_type) != "docker":
            return []
    elif ctx.target >= (2, 0) and key == "docker":
        # The block goes (_drop_docker_block): the taskRunner it leaves holds the policy.
        runner = own_entry(ctx.task, "taskRunner")
        if runner is None or not isinstance(runner[1], MappingNode):
            return []
        settings = runner
    policy = get(settings[1], "pullPolicy")
    if policy is None:
        return [set_mapping_key(ctx.source, settings[1], "pullPolicy", "IF_NOT_PRESENT",
                                ctx.style)]
    if get_text(settings[1], "pullPolicy") == "ALWAYS":
        return [_replace_in_mapping(ctx, settings[1], "pullPolicy", "IF_NOT_PRESENT")]
    return []
