"""Strategy `process-runner`: run on the worker, with packages installed at server start."""

from __future__ import annotations

from flowlint import kestra
from flowlint.findings import Edit
from flowlint.fixes.command_edits import rewrite_installs
from flowlint.fixes.install_args import require_plain_packages
from flowlint.fixes.plan import PlannedFix, TaskFixContext, require
from flowlint.fixes.task_edits import append_properties, own_entry, replace_value

NAME = "process-runner"


def plan(ctx: TaskFixContext) -> PlannedFix:
    task = ctx.task
    for key in ("taskRunner", "runner"):
        prop = task.properties.get(key)
        require(prop is None or prop.origin != "forced-default", f"a forced pluginDefaults "
                f"entry sets `{key}` of '{task.id}'; change the runner there")
    # The packages must be listed where they move to (an image, the server's start).
    require_plain_packages(ctx.installs, NAME, allow_index=True)
    edits = rewrite_installs(ctx.source, task, {located: None for located in ctx.installs},
                             ctx.style)
    edits.extend(_runner_edits(ctx))
    return PlannedFix("run on the Process runner; install the packages at server start "
                      "(flowlint server-requirements)", tuple(edits), safe=False,
                      scope=frozenset({task.id}))


def _runner_edits(ctx: TaskFixContext) -> list[Edit]:
    task = ctx.task
    process = {"type": kestra.PROCESS_RUNNER}
    edits = []
    if own_entry(task, "runner") is not None:
        edits.append(replace_value(ctx.source, task, "runner", "PROCESS", ctx.style))
    if own_entry(task, "taskRunner") is not None:
        edits.append(replace_value(ctx.source, task, "taskRunner", process, ctx.style))
    if edits:
        return edits
    if ctx.target < (0, 18):
        return [append_properties(ctx.source, task, {"runner": "PROCESS"}, ctx.style)]
    return [append_properties(ctx.source, task, {"taskRunner": process}, ctx.style)]
