"""What a strategy gets to plan a fix for one task, and what it gives back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flowlint.commands import LocatedInstall
from flowlint.findings import Edit
from flowlint.fixes.yamltext import FixRefused, Style
from flowlint.model import Flow, Runner, Task
from flowlint.source import Source

if TYPE_CHECKING:
    from flowlint.fixes.script_installs import ScriptInstallSite

STRATEGIES = ("dependencies", "working-dir-cache", "custom-image", "process-runner")


@dataclass(frozen=True)
class FixOptions:
    strategy: str = "auto"          # 'auto' or one of STRATEGIES
    image: str | None = None        # custom-image: name or template {namespace} {flow} {task}
    cache_layout: str = "deps"      # working-dir-cache: 'deps' or 'venv'
    ttl: str = "PT24H"


@dataclass(frozen=True)
class TaskFixContext:
    flow: Flow
    task: Task
    installs: tuple[LocatedInstall, ...]
    runner: Runner
    style: Style
    options: FixOptions
    rule: str
    # Installs that Python scripts of the task run (FL003); strategies remove their calls.
    script_installs: tuple[ScriptInstallSite, ...] = ()

    @property
    def all_installs(self) -> tuple[LocatedInstall | ScriptInstallSite, ...]:
        """Shell and script installs alike: both have `install` and `text`."""
        return (*self.installs, *self.script_installs)

    @property
    def target(self) -> tuple[int, int]:
        return self.flow.target_version

    @property
    def source(self) -> Source:
        return self.flow.source


@dataclass(frozen=True)
class PlannedFix:
    title: str
    edits: tuple[Edit, ...]
    safe: bool
    scope: frozenset[str]   # ids of the tasks the edits touch (verification masks them)


def require(condition: bool, reason: str) -> None:
    if not condition:
        raise FixRefused(reason)
