"""Strategy `working-dir-cache`: install into a cached folder of a WorkingDirectory.

The install (flowlint.remedies.cached_install) runs only when the restored folder does not hold
what the line asks for, so a cache hit costs no download, and an edited package list is
installed at the next run. The task's Python finds the packages through PYTHONPATH, and its
shell finds their programs through PATH when it runs any.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ruamel.yaml.nodes import MappingNode, SequenceNode

from flowlint.findings import Edit, Fix, FixRefused, require
from flowlint.kestra import plugin_types
from flowlint.kestra.flow import Task
from flowlint.kestra.task_shell import LocatedInstall, command_texts
from flowlint.kestra.working_directory import (
    cache_patterns,
    patterns_cover,
)
from flowlint.lang import shell
from flowlint.lang.installs import as_install
from flowlint.lang.python_shapes import UNKNOWN
from flowlint.lang.requirements import requirement_name
from flowlint.remedies import script_edits
from flowlint.remedies.cached_install import (
    STAMP,
    CachedInstall,
    program_words,
    stamped_set_command,
)
from flowlint.remedies.command_edits import rewrite_installs
from flowlint.remedies.console_commands import runs_programs_of
from flowlint.remedies.fix_context import TaskFixContext
from flowlint.remedies.install_args import InstallSite, kept_options, packages_of
from flowlint.remedies.task_edits import (
    append_properties,
    extend_sequence,
    own_entry,
    set_mapping_key,
    wrap_in_list_item,
)
from flowlint.remedies.yaml_text import Style
from flowlint.source import Source
from flowlint.yamlnodes import get, get_text

NAME = "working-dir-cache"
# Options that change only what pip prints: an install may join one without them.
_QUIET = frozenset({"-q", "--quiet", "-qq", "-v", "--verbose", "--no-cache-dir",
                    "--disable-pip-version-check", "--no-warn-script-location",
                    "--progress-bar=off", "--no-input"})


def plan(ctx: TaskFixContext) -> Fix:
    task = ctx.task
    require(not task.in_trigger, f"'{task.id}' is a trigger; triggers cannot run inside a "
            "WorkingDirectory")
    for located in ctx.all_installs:
        require(located.install.tool in ("pip", "uv"), f"'{located.text}' uses "
                f"{located.install.tool}; {NAME} rewrites pip and uv pip installs only")
        require(not located.install.editables, f"'{located.text}' installs in editable mode")
    require(not any("{{" in word.text or "{%" in word.text for located in ctx.installs
                    for word in located.install.command.words),
            f"'{ctx.installs[0].text if ctx.installs else ''}' takes packages from a Pebble "
            "expression, which the cached install would quote into one word")
    positional = _reads_arguments(ctx)
    require(positional is None, f"'{positional}' reads the shell's arguments ($@, $1...), "
            "which the cached install sets (`set --`)")
    # Kestra restores a cache without file modes and turns symlinks into copies: a cached
    # virtualenv's bin/python does not run from the second execution on (docs/kestra.md §6).
    require(ctx.options.cache_layout != "venv", "the venv cache layout is not written: Kestra "
            "restores a WorkingDirectory cache without file modes or symlinks, so a cached "
            "virtualenv's python would not run from the second execution on; use "
            "fix.cache-layout = \"deps\"")
    folder = "deps"
    changed = _folder_change(ctx)
    require(changed is None, f"'{changed}' runs before the install, which would then create "
            f"{folder}/ in another folder than the one the cache and PYTHONPATH name")
    require(len(ctx.installs) < 2 or not any(located.install.command.assignments
                                               for located in ctx.installs),
            "an install sets environment variables for itself; merging it with the task's "
            "other installs would give them those too")
    if len(ctx.installs) > 1:
        first = ctx.installs[0].install.command
        require(first.separator_before in ("", ";", "\n") and not first.nested,
                f"'{ctx.installs[0].text}' runs only under a condition: the task's other "
                "installs, merged into it, would run under it too")
    replacements: dict = {located: None for located in ctx.installs}
    stamped = _stamped_install(ctx, folder)
    if stamped is not None:
        # An earlier fix (of FL001 or FL003) wrote the cached install: the packages join it.
        extended = _extended_arguments(ctx, stamped)
        if extended is not None:
            replacements[stamped] = extended
    elif ctx.installs:
        replacements[ctx.installs[0]] = _cached_install(ctx, folder).rewrite()
    edits = rewrite_installs(ctx.source, task, replacements, ctx.style)
    edits.extend(script_edits.removal_edits(ctx))
    added: dict[str, object] = {}   # new properties of the task, written in one insertion
    if stamped is None and not ctx.installs:
        edits.extend(_add_before_command(ctx, _cached_install(ctx, folder).text(), added))
    edits.extend(_environment_edits(ctx, folder, added))
    if added:
        edits.append(append_properties(ctx.source, task, added, ctx.style))
    working_directory = task.working_directory
    if working_directory is None:
        edits = [_wrap(ctx, folder, edits)]
        scope = {task.id}
    else:
        edits.extend(extend_cache(ctx.source, working_directory, folder, ctx.options.ttl,
                                  ctx.style))
        scope = {task.id, working_directory.id}
    # Kestra documents WorkingDirectory caching for the Process runner; with a container
    # runner it may fail ("Unable to execute WorkingDirectory post actions").
    safe = ctx.runner.kind == "process"
    return Fix(f"install into a cached {folder}/ folder of a WorkingDirectory",
           tuple(edits), safe=safe, scope=frozenset(scope))


def _cached_install(ctx: TaskFixContext, folder: str) -> CachedInstall:
    installs = ctx.all_installs
    arguments = kept_options(installs) + _sources(installs)
    as_written = _expanding_words(ctx)
    arguments += [as_written.get(spec) or _shell_word(spec) for spec in packages_of(installs)]
    files = tuple(path for site in installs for path in site.install.requirement_files)
    first = installs[0].install
    program = program_words(first) if UNKNOWN not in first.command.words[0].text \
        else "pip install"
    return CachedInstall(folder, program, tuple(arguments), files,
                         runs_programs_of(ctx.task, ctx.installs, packages_of(installs),
                                          ctx.facts.programs_run_by_scripts(ctx.task)),
                         changes_folder(ctx.task))


def changes_folder(task: Task) -> bool:
    """Whether the task's shell runs a `cd` (or `pushd`): a relative PYTHONPATH then names
    a folder under the new one."""
    return any(simple.words and simple.words[0].text in ("cd", "pushd")
               for command in command_texts(task)
               for simple in shell.split_commands(command.node.value))


def _expanding_words(ctx: TaskFixContext) -> dict[str, str]:
    """Requirement -> its word as written, for the words the shell expands (`"pkg==$VER"`):
    they stay as written, to be expanded by the same shell as before."""
    found = {}
    for located in ctx.installs:
        value = located.command.node.value
        for word in located.install.command.words:
            if word.expands:
                found[word.text] = value[word.start:word.end]
    return found


_POSITIONAL = re.compile(r"\$(?:[@*#1-9]|\{[@*#1-9])")


def _reads_arguments(ctx: TaskFixContext) -> str | None:
    """A command of the task (not an install the fix rewrites) that reads the positional
    parameters, which `set --` replaces in the same shell."""
    installs = {located.install.command for located in ctx.installs}
    for command in command_texts(ctx.task):
        value = command.node.value
        for simple in shell.split_commands(value):
            text = value[simple.start:simple.end]
            if simple in installs or f"/{STAMP}" in text:
                continue
            if _POSITIONAL.search(text) and not _is_stamp_part(simple):
                return text
    return None


def _is_stamp_part(simple: shell.SimpleCommand) -> bool:
    """`set -- ...` or the install of a stamped install written by an earlier fix."""
    words = [word.text for word in simple.words]
    return words[:2] == ["set", "--"] or "$@" in words


def _folder_change(ctx: TaskFixContext) -> str | None:
    """A `cd` (or `pushd`) that runs before the first install, in the same shell."""
    first = ctx.installs[0].install.command if ctx.installs else None
    for command in command_texts(ctx.task):
        for simple in shell.split_commands(command.node.value):
            if simple == first:
                return None
            if simple.words and simple.words[0].text in ("cd", "pushd"):
                return " ".join(word.text for word in simple.words)
        if first is None and command.field != "beforeCommands":
            break   # a script's install runs after beforeCommands only
    return None


def _sources(installs: Sequence[InstallSite]) -> list[str]:
    """Requirement files, URLs and local paths, as install arguments."""
    arguments: list[str] = []
    for located in installs:
        arguments += [f"-r {path}" for path in located.install.requirement_files]
        arguments += list(located.install.urls) + list(located.install.local_paths)
    return arguments


def _stamped_install(ctx: TaskFixContext, folder: str) -> LocatedInstall | None:
    """The `set -- ...` of the cached install an earlier fix wrote into beforeCommands."""
    for found in ctx.facts.python_installs:
        located = found.located
        if found.task is not ctx.task or located.command.field != "beforeCommands" \
                or located in ctx.installs or found.folder != folder:
            continue
        commands = shell.split_commands(located.command.node.value)
        command = stamped_set_command(commands, located.install.command, folder)
        if command is not None:
            return LocatedInstall(as_install(command), located.command, located.span)
    return None


def _extended_arguments(ctx: TaskFixContext, stamped: LocatedInstall) -> str | None:
    """The `set --` words with the requirements the cached install lacks added; None when it
    lacks none."""
    value = stamped.command.node.value
    words = stamped.install.command.words
    present_words = [value[word.start:word.end] for word in words[2:]]
    installs = ctx.all_installs
    present_options = {word for word in present_words if word.startswith("-")}
    extra_options = set(kept_options(installs)) - present_options - _QUIET
    require(not extra_options, f"the cached install runs without "
            f"{', '.join(sorted(extra_options))}; merge these installs into it by hand")
    present = {requirement_name(word.text) or word.text: word.text for word in words[2:]}
    missing = [argument for argument in _sources(installs) if argument not in present_words]
    for spec in packages_of(installs):
        name = requirement_name(spec) or spec
        require(present.get(name, spec) == spec, f"'{name}' is installed twice with different "
                f"specifiers ('{present.get(name)}' and '{spec}')")
        if name not in present:
            missing.append(_shell_word(spec))
    if not missing:
        return None
    return " ".join([value[words[0].start:words[-1].end], *missing])


def _add_before_command(ctx: TaskFixContext, command: str,
                        added: dict[str, object]) -> list[Edit]:
    """The command as the last item of the task's beforeCommands (for script installs)."""
    entry = own_entry(ctx.task, "beforeCommands")
    if entry is None:
        require(ctx.task.prop("beforeCommands") is None, "`beforeCommands` comes from "
                "pluginDefaults; the cached install cannot be added safely")
        added["beforeCommands"] = [command]
        return []
    require(isinstance(entry[1], SequenceNode), "`beforeCommands` is not a list")
    return [extend_sequence(ctx.source, entry[1], [command], ctx.style)]


def _shell_word(spec: str) -> str:
    """Quote a requirement when the shell would read `<`, `>`, `[` or spaces in it."""
    if re.fullmatch(r"[A-Za-z0-9_.\-=!~,]+", spec):
        return spec
    return "'" + spec.replace("'", "'\\''") + "'"


def _environment_edits(ctx: TaskFixContext, folder: str,
                       added: dict[str, object]) -> list[Edit]:
    task = ctx.task
    if changes_folder(task):
        return []   # the install line exports PYTHONPATH by its full path (CachedInstall)
    env = own_entry(task, "env")
    require(task.prop("env") is None or env is not None,
            "`env` comes from pluginDefaults; PYTHONPATH cannot be added safely")
    if env is None:
        added["env"] = {"PYTHONPATH": folder}
        return []
    require(isinstance(env[1], MappingNode), "`env` is not a mapping")
    if (get_text(env[1], "PYTHONPATH") or "").strip().removeprefix("./").rstrip("/") == folder:
        return []   # an earlier fix set it
    require(get(env[1], "PYTHONPATH") is None,
            "`env` already sets PYTHONPATH; add the deps folder to it by hand")
    return [set_mapping_key(ctx.source, env[1], "PYTHONPATH", folder, ctx.style)]


def _cache_value(folder: str, ttl: str) -> dict[str, object]:
    return {"patterns": [f"{folder}/**"], "ttl": ttl}


def _wrap(ctx: TaskFixContext, folder: str, inner_edits: list[Edit]) -> Edit:
    ids = {task.id for task in ctx.flow.tasks}
    new_id = f"{ctx.task.id}_cached"
    suffix = 2
    while new_id in ids:
        new_id, suffix = f"{ctx.task.id}_cached_{suffix}", suffix + 1
    type_name = plugin_types.WORKING_DIRECTORY if ctx.target >= (0, 17) \
        else "io.kestra.core.tasks.flows.WorkingDirectory"
    wrapper = {"id": new_id, "type": type_name, "cache": _cache_value(folder, ctx.options.ttl)}
    return wrap_in_list_item(ctx.source, ctx.task, wrapper, ctx.style, inner_edits)


def extend_cache(source: Source, working_directory: Task, folder: str, ttl: str,
                 style: Style) -> list[Edit]:
    """Edits so that the WorkingDirectory's cache keeps `folder`."""
    if patterns_cover(cache_patterns(working_directory), folder):
        return []
    cache = own_entry(working_directory, "cache")
    if cache is None:
        require(working_directory.prop("cache") is None,
                "the WorkingDirectory's cache comes from pluginDefaults; extend it there")
        return [append_properties(source, working_directory,
                                  {"cache": _cache_value(folder, ttl)}, style)]
    patterns = get(cache[1], "patterns")
    if isinstance(patterns, SequenceNode):
        return [extend_sequence(source, patterns, [f"{folder}/**"], style)]
    if isinstance(cache[1], MappingNode):
        return [set_mapping_key(source, cache[1], "patterns", [f"{folder}/**"], style)]
    raise FixRefused("the WorkingDirectory's `cache` is not a mapping")
