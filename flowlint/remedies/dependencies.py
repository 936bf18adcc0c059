"""Strategy `dependencies`: the packages move to Kestra's native `dependencies` property."""

from __future__ import annotations

import re

from flowlint.findings import Edit, Fix, listed, require
from flowlint.remedies import script_edits
from flowlint.remedies.command_edits import rewrite_installs
from flowlint.remedies.console_commands import commands_provided, console_commands_used
from flowlint.remedies.fix_context import TaskFixContext
from flowlint.remedies.install_args import (
    packages_of,
    require_index_kept,
    require_plain_packages,
)
from flowlint.remedies.task_edits import append_properties, extend_sequence, own_entry
from flowlint.yamlnodes import string_list

NAME = "dependencies"


def image_python_version(image: str) -> str | None:
    """'3.12' from python:3.12-slim; None when the tag does not say."""
    tag = image.rsplit("/", 1)[-1]
    if ":" not in tag:
        return None
    match = re.search(r"(\d\.\d{1,2})", tag.split(":", 1)[1])
    return match.group(1) if match else None


def plan(ctx: TaskFixContext) -> Fix:
    task = ctx.task
    require(ctx.target >= (0, 23), "`dependencies` needs Kestra 0.23 or later "
            f"(target version {ctx.target[0]}.{ctx.target[1]})")
    kind = task.script_kind
    require(kind is not None and kind.language == "python" and kind.shape != "legacy",
            f"'{task.id}' has type {task.type}; `dependencies` exists only on python "
            "Script and Commands tasks")
    require_plain_packages(ctx.all_installs, NAME)
    require_index_kept(ctx.task, NAME)
    packages = packages_of(ctx.all_installs)
    used = console_commands_used(task, ctx.installs, packages)
    used += sorted(ctx.facts.programs_run_by_scripts(task)
                   & commands_provided(packages) - set(used))
    require(not used, f"the task runs {', '.join(repr(c) for c in used)}, a console command "
            "of the installed packages, which `dependencies` does not put on PATH")
    stated = ctx.facts.image(task)
    require(stated.reference is not None or task.prop("pythonVersion") is not None,
            f"the image '{task.id}' runs in cannot be told ({stated.origin}), so neither can "
            "its Python version: add `pythonVersion: \"3.x\"` to the task, then run the fix "
            "again")
    image = None if stated.is_default else stated.reference
    if image:
        require("alpine" not in image.lower(), f"image '{image}' is alpine (musl): "
                "`dependencies` wheels may not install there")
        require(image_python_version(image) is not None or task.prop("pythonVersion") is not None,
                f"image '{image}' does not tell its Python version: add `pythonVersion: "
                "\"3.x\"` to the task, then run the fix again")
    edits = rewrite_installs(ctx.source, task, {located: None for located in ctx.installs},
                             ctx.style)
    edits.extend(script_edits.removal_edits(ctx))
    edits.extend(_dependency_edits(ctx, packages))
    return Fix(f"move {listed(packages) or 'the install'} to `dependencies`",
           tuple(edits), safe=True, scope=frozenset({task.id}))


def _dependency_edits(ctx: TaskFixContext, packages: list[str]) -> list[Edit]:
    if not packages:
        return []
    entry = own_entry(ctx.task, "dependencies")
    if entry is None:
        return [append_properties(ctx.source, ctx.task, {"dependencies": packages},
                                  ctx.style)]
    existing = string_list(entry[1])
    missing = [spec for spec in packages if spec not in existing]
    return [extend_sequence(ctx.source, entry[1], missing, ctx.style)] if missing else []
