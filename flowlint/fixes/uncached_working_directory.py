"""FL005: cache the folder a WorkingDirectory's child installs into."""

from __future__ import annotations

from flowlint.checks.uncached_working_directory import (
    UncachedInstall,
    problem_and_remedy,
    uncached_installs,
)
from flowlint.commands import LocatedInstall
from flowlint.findings import Edit
from flowlint.fixes.command_edits import rewrite_installs
from flowlint.fixes.plan import FixOptions, PlannedFix, require
from flowlint.fixes.working_dir_cache import extend_cache
from flowlint.fixes.yamltext import FixRefused, Style, detect_style
from flowlint.model import Flow, Task, effective_runner

NAME = "cache-install-folder"
_SEPARATE = ("", "\n", ";")


def plan(flow: Flow, task: Task, options: FixOptions) -> PlannedFix:
    found = [item for item in uncached_installs(flow, {}) if item.found.task is task]
    require(bool(found), f"'{task.id}' has no install that its WorkingDirectory fails to cache")
    for item in found:
        if item.folder is None:
            problem, remedy = problem_and_remedy(item)
            require(False, f"'{item.found.located.text}': {problem}, where no cache can keep "
                    f"it; {remedy}")
    folders = sorted({item.folder for item in found if item.folder})
    require(len(folders) == 1, f"'{task.id}' installs into several folders "
            f"({', '.join(folders)}); extend the cache by hand")
    folder = folders[0]
    working_directory = found[0].working_directory
    style = detect_style(flow.source, flow.root)
    edits = extend_cache(flow.source, working_directory, folder, options.ttl, style)
    edits.extend(_guards(flow, task, found, folder, style))
    runner = effective_runner(task, flow.target_version)
    return PlannedFix(f"cache {folder}/ in WorkingDirectory '{working_directory.id}'",
                      tuple(edits), safe=runner.kind == "process",
                      scope=frozenset({working_directory.id, task.id}))


def _guards(flow: Flow, task: Task, found: list[UncachedInstall], folder: str,
            style: Style) -> list[Edit]:
    """`test -d deps ||` before `--target` installs, so a restored folder is not reinstalled."""
    replacements: dict[LocatedInstall, str | None] = {}
    for item in found:
        located = item.found.located
        command = located.install.command
        words = command.words
        if located.install.target is None or located.command.origin != "task" \
                or command.start != words[0].start or command.separator_before not in _SEPARATE \
                or command.separator_after not in _SEPARATE:
            continue
        value = located.command.node.value
        replacements[located] = f"test -d {folder} || " + value[words[0].start:words[-1].end]
    if not replacements:
        return []
    try:
        return rewrite_installs(flow.source, task, replacements, style)
    except FixRefused:
        return []   # a folded scalar, say: the cache alone still applies
