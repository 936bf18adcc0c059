"""Strategy `process-runner`: run on the worker, with packages installed at server start."""

from __future__ import annotations

from flowlint.findings import WORKER, Edit, Fix, require
from flowlint.kestra import plugin_types
from flowlint.lang.distributions import image_distributions
from flowlint.remedies import script_edits
from flowlint.remedies.command_edits import remove_property, rewrite_installs
from flowlint.remedies.fix_context import TaskFixContext
from flowlint.remedies.install_args import (
    moved_distributions,
    require_index_kept,
    require_plain_packages,
)
from flowlint.remedies.task_edits import append_properties, own_entry, replace_value

NAME = "process-runner"


def plan(ctx: TaskFixContext) -> Fix:
    task = ctx.task
    for key in ("taskRunner", "runner"):
        prop = task.properties.get(key)
        require(prop is None or prop.origin != "forced-default", f"a forced pluginDefaults "
                f"entry sets `{key}` of '{task.id}'; change the runner there")
    if ctx.script_installs and ctx.runner.kind != "process":
        # Once on the Process runner, the task's shell installs would run on the worker at
        # every execution (FL004, which has no fix). Fixing the shell installs (FL001) with
        # this strategy first moves them; this fix moves only what its findings name.
        left = [found.located.text for found in ctx.facts.python_installs
                if found.task is task and not found.cached]
        require(not left, f"'{task.id}' also runs {', '.join(repr(text) for text in left)}, "
                "which would then run on the worker at every execution: fix those installs "
                "(FL001) with --strategy process-runner first")
    if ctx.runner.starts_container:
        stated = ctx.facts.image(task)
        require(stated.reference is not None, f"the image '{task.id}' runs in cannot be told "
                f"({stated.origin}), so neither can what the worker would lack")
        require(image_distributions(stated.reference) is not None, f"'{task.id}' runs in image "
                f"'{stated.reference}', which may hold packages and programs the worker lacks, "
                "and flowlint cannot tell which: install them on the worker by hand, or use "
                "another strategy")
    # Any other install of the task would run on the worker itself from then on.
    others = [located.text for located in ctx.facts.installs(task)
              if located not in ctx.installs and not located.install.upgrades_pip_only
              and (located.install.ecosystem != "python" or not ctx.script_installs)]
    require(not others, f"'{task.id}' also runs {', '.join(repr(text) for text in others)}, "
            "which would then install on the worker itself at every execution")
    # The packages must be listed where they move to (an image, the server's start).
    require_plain_packages(ctx.all_installs, NAME, allow_index=True)
    require_index_kept(ctx.task, NAME)
    edits = rewrite_installs(ctx.source, task, {located: None for located in ctx.installs},
                             ctx.style)
    edits.extend(script_edits.removal_edits(ctx))
    edits.extend(_runner_edits(ctx))
    title = "run on the Process runner; install the packages at server start " \
        "(flowlint server-requirements)"
    return Fix(title + script_edits.listed_packages(ctx), tuple(edits), safe=False,
               scope=frozenset({task.id}), runs_in=WORKER,
               provides=moved_distributions(ctx.all_installs))


def _runner_edits(ctx: TaskFixContext) -> list[Edit]:
    task = ctx.task
    process = {"type": plugin_types.PROCESS_RUNNER}
    has_runner = own_entry(task, "runner") is not None
    has_task_runner = own_entry(task, "taskRunner") is not None
    if has_runner and ctx.target >= (2, 0):
        # Kestra 2.0 removed `runner`: it becomes the taskRunner.
        if has_task_runner:
            return [remove_property(ctx.source, task, "runner"),
                    replace_value(ctx.source, task, "taskRunner", process, ctx.style)]
        return [replace_value(ctx.source, task, "runner", process, ctx.style, "taskRunner")]
    edits = []
    if has_runner:
        edits.append(replace_value(ctx.source, task, "runner", "PROCESS", ctx.style))
    if has_task_runner:
        edits.append(replace_value(ctx.source, task, "taskRunner", process, ctx.style))
    if edits:
        return edits
    if ctx.target < (0, 18):
        return [append_properties(ctx.source, task, {"runner": "PROCESS"}, ctx.style)]
    return [append_properties(ctx.source, task, {"taskRunner": process}, ctx.style)]
