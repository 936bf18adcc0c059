"""What a strategy gets to plan a fix for one task, and what it gives back."""

from __future__ import annotations

from dataclasses import dataclass

from flowlint.commands import LocatedInstall
from flowlint.findings import Edit
from flowlint.fixes.yamltext import FixRefused, Style
from flowlint.model import Flow, Runner, Task

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

    @property
    def target(self) -> tuple[int, int]:
        return self.flow.target_version

    @property
    def source(self):  # noqa: ANN201 - Source; a property so strategies read ctx.source
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
