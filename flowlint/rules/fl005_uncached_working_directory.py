"""FL005: a Python install inside a WorkingDirectory whose cache does not keep what it installs.

A WorkingDirectory around an install is usually there to cache it. When the cache is missing,
misses the install's folder, or the install writes outside the working directory (the system
site-packages, an absolute path), the WorkingDirectory caches nothing and the install runs at
every execution. Inside a WorkingDirectory this rule alone reports the install (FL001 and FL004
leave it), on any runner, and says what to cache.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping

from flowlint.facts.flow_facts import PYTHON_INSTALLERS, FlowFacts, TaskInstall
from flowlint.findings import Edit, Finding, Fix, FixRefused, require, shorten
from flowlint.kestra.flow import Task
from flowlint.kestra.task_shell import LocatedInstall
from flowlint.kestra.working_directory import cache_patterns, patterns_cover
from flowlint.lang.installs import Install
from flowlint.records import TYPE_CHECKING

if TYPE_CHECKING:
    from flowlint.remedies.fix_context import FixRequest

CODE = "FL005"
NAME = "uncached-working-directory"
FIX_NAME = "cache-install-folder"


def uncached_installs(facts: FlowFacts, installers: Collection[str]) -> Iterator[TaskInstall]:
    """Installs inside a WorkingDirectory that its cache does not keep."""
    for found in facts.python_installs_by(installers):
        if found.task.working_directory is not None and not found.cached \
                and installs_something(found.located.install):
            yield found


def installs_something(install: Install) -> bool:
    """False for `pip install --upgrade pip` and for a bare `pip install`."""
    if install.upgrades_pip_only:
        return False
    return bool(install.packages or install.requirement_files or install.editables
                or install.local_paths or install.urls)


def check(facts: FlowFacts, parameters: Mapping[str, object]) -> Iterator[Finding]:
    installers = parameters.get("installers", PYTHON_INSTALLERS)
    for found in uncached_installs(facts, installers):  # type: ignore[arg-type]
        problem, remedy = problem_and_remedy(found)
        yield found.finding(
            CODE,
            f"{found.located.install.tool} install in {found.where} of "
            f"'{found.task.id}' is not cached by WorkingDirectory "
            f"'{_working_directory(found).id}': '{shorten(found.located.text)}'",
            f"{problem}, so it runs at every execution ({_runs_on(found)}); {remedy}")


def _runs_on(found: TaskInstall) -> str:
    runner = found.runner
    if runner.starts_container:
        return f"{runner.describe()}, a fresh container each run"
    if runner.kind == "process":
        return f"{runner.describe()}, on the worker host"
    return runner.describe()


def _working_directory(found: TaskInstall) -> Task:
    working_directory = found.task.working_directory
    assert working_directory is not None   # uncached_installs keeps only those inside one
    return working_directory


def into_virtualenv(item: TaskInstall) -> bool:
    """An install into a virtualenv of the working directory (its pip, or after activating
    it), not into a --target folder."""
    return item.folder is not None and not item.located.install.target


_DEPS_REMEDY = "install with --target=deps, put deps on PYTHONPATH and cache deps/**"


def problem_and_remedy(item: TaskInstall) -> tuple[str, str]:
    working_directory = _working_directory(item)
    wd_id = working_directory.id
    if into_virtualenv(item):
        # A cached venv does not run once restored (docs/kestra.md §6): no file modes, and its
        # symlinked python becomes a copy without its execute bit.
        patterns = cache_patterns(working_directory)
        venv = f"it installs into the virtualenv '{item.folder}/'"
        if patterns_cover(patterns, item.folder or ""):   # cached, but made afresh first
            return (f"{venv}, which the task makes afresh at every execution (and a cached "
                    "venv would not run: a restored venv's python has lost its file mode)",
                    _DEPS_REMEDY)
        kept = "the cache does not keep" if patterns else f"'{wd_id}' has no cache to keep"
        return (f"{venv}, which {kept} (and could not: a restored venv's python has lost its "
                "file mode)", _DEPS_REMEDY)
    if item.folder is None:
        target = item.located.install.target
        where_to = f"into '{target}', outside the working directory" if target \
            else "into the system site-packages"
        return f"it installs {where_to}", _DEPS_REMEDY
    patterns = cache_patterns(working_directory)
    if not patterns:
        return ("it has no cache", f"add `cache: {{patterns: [{item.folder}/**]}}` to '{wd_id}'")
    listed = ", ".join(patterns)
    return (f"its cache patterns [{listed}] miss '{item.folder}/', where it installs",
            f"add '{item.folder}/**' to the cache patterns of '{wd_id}'")


def fix(request: FixRequest) -> Fix:
    """Cache the folder the installs write to; installs no cache can keep (the system
    site-packages, a folder outside the working directory, a virtualenv), or a strategy asked
    for by name, go through the install strategies, as FL001's do."""
    # Fixing code loads when a fix is planned: checking a clean flow never imports it.
    from flowlint.remedies.strategies import install_context, plan_with_strategy
    from flowlint.remedies.working_dir_cache import extend_cache

    found = list(request.details(TaskInstall))
    task = request.task
    if request.options.strategy != "auto" or any(item.folder is None or into_virtualenv(item)
                                                  for item in found):
        return plan_with_strategy(install_context(request, [item.located for item in found]))
    folders = sorted({item.folder for item in found if item.folder})
    require(len(folders) == 1, f"'{task.id}' installs into several folders "
            f"({', '.join(folders)}); extend the cache by hand")
    folder = folders[0]
    working_directory = _working_directory(found[0])
    edits = extend_cache(request.source, working_directory, folder, request.options.ttl,
                         request.style)
    edits.extend(_guards(request, found, folder))
    runner = request.facts.runner(task)
    return Fix(f"cache {folder}/ in WorkingDirectory '{working_directory.id}'",
           tuple(edits), safe=runner.kind == "process",
           scope=frozenset({working_directory.id, task.id}))


def _guards(request: FixRequest, found: list[TaskInstall], folder: str) -> list[Edit]:
    """`--target` installs rewritten to install only when the restored folder does not hold
    what they ask for (flowlint.remedies.cached_install), with the folder's programs on PATH
    when the task runs them."""
    from flowlint.remedies.cached_install import (
        CachedInstall,
        arguments_of,
        program_words,
    )
    from flowlint.remedies.command_edits import rewrite_installs
    from flowlint.remedies.console_commands import runs_programs_of

    replacements: dict[LocatedInstall, object] = {}
    for item in found:
        located = item.located
        install = located.install
        if install.target is None or located.command.origin != "task":
            continue
        arguments = arguments_of(install, located.command.node.value)
        used = runs_programs_of(request.task, (located,), list(install.packages),
                                request.facts.programs_run_by_scripts(request.task))
        replacements[located] = CachedInstall(folder, program_words(install), tuple(arguments),
                                              install.requirement_files, used).rewrite()
    if not replacements:
        return []
    try:
        return rewrite_installs(request.source, request.task, replacements, request.style)
    except FixRefused:
        return []   # a folded scalar, say: the cache alone still applies
