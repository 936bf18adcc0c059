"""FL005: a Python install inside a WorkingDirectory whose cache does not keep what it installs.

A WorkingDirectory around an install is usually there to cache it. When the cache is missing,
misses the install's folder, or the install writes outside the working directory (the system
site-packages, an absolute path), the WorkingDirectory caches nothing and the install runs at
every execution. FL001 and FL004 report the per-execution install on their runners; FL005
reports the WorkingDirectory that fails to cache it, on any runner, and says what to cache.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from flowlint import shell
from flowlint.caching import cache_patterns, install_location, is_cached
from flowlint.checks.python_installs import TaskInstall, python_installs, where
from flowlint.findings import Finding
from flowlint.model import Flow, Task

CODE = "FL005"


@dataclass(frozen=True)
class UncachedInstall:
    found: TaskInstall
    working_directory: Task
    folder: str | None   # the working-directory folder it installs into; None: outside it


def uncached_installs(flow: Flow, parameters: Mapping[str, object]) -> Iterator[UncachedInstall]:
    for found in python_installs(flow, parameters):
        working_directory = found.task.working_directory
        if working_directory is None or not installs_something(found.located.install) \
                or is_cached(found.located, found.task):
            continue
        yield UncachedInstall(found, working_directory,
                              install_location(found.located, found.task))


def installs_something(install: shell.Install) -> bool:
    """False for `pip install --upgrade pip` and for a bare `pip install`."""
    if install.upgrades_pip_only:
        return False
    return bool(install.packages or install.requirement_files or install.editables
                or install.local_paths or install.urls)


def check(flow: Flow, parameters: Mapping[str, object]) -> Iterator[Finding]:
    for item in uncached_installs(flow, parameters):
        found = item.found
        problem, remedy = problem_and_remedy(item)
        yield Finding(
            CODE,
            found.located.span,
            f"{found.located.install.tool} install in {where(found.located)} of "
            f"'{found.task.id}' is not cached by WorkingDirectory "
            f"'{item.working_directory.id}' ({problem}): '{found.located.text}'; {remedy}",
            task_id=found.task.id,
            yaml_path=found.yaml_path,
            extra={"working_directory": item.working_directory.id, "folder": item.folder},
        )


def problem_and_remedy(item: UncachedInstall) -> tuple[str, str]:
    wd_id = item.working_directory.id
    if item.folder is None:
        target = item.found.located.install.target
        where_to = f"into '{target}', outside the working directory" if target \
            else "into the system site-packages"
        return (f"it installs {where_to}",
                "install with --target=deps, put deps on PYTHONPATH and cache deps/**")
    patterns = cache_patterns(item.working_directory)
    if not patterns:
        return ("it has no cache", f"add `cache: {{patterns: [{item.folder}/**]}}` to '{wd_id}'")
    listed = ", ".join(patterns)
    return (f"its cache patterns [{listed}] miss '{item.folder}/', where it installs",
            f"add '{item.folder}/**' to the cache patterns of '{wd_id}'")
