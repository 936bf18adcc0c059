"""What a fix gets to plan its edits for one task, and what it gives back.

A rule's fix receives a FixRequest: the flow's facts, the task, and the rule's findings on that
task that were kept after suppressions, each carrying the data its check judged (`detail`). The
strategies shared by the install rules receive a TaskFixContext, built from those details.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from flowlint.facts.flow_facts import FlowFacts
from flowlint.facts.python_scripts import ScriptInstallSite
from flowlint.findings import Finding
from flowlint.kestra.flow import Flow, Runner, Task
from flowlint.kestra.task_shell import LocatedInstall
from flowlint.records import NamedTuple
from flowlint.remedies.fix_options import FixOptions
from flowlint.remedies.yaml_text import Style
from flowlint.source import Source

Detail = TypeVar("Detail")


class FixRequest(NamedTuple):
    """One rule's kept findings on one task, and what a fix of them may use."""

    facts: FlowFacts
    task: Task
    rule: str
    findings: tuple[Finding, ...]
    options: FixOptions
    style: Style

    def details(self, kind: type[Detail]) -> Iterator[Detail]:
        """The findings' data, as the rule's check built it."""
        for finding in self.findings:
            if isinstance(finding.detail, kind):
                yield finding.detail

    @property
    def flow(self) -> Flow:
        return self.facts.flow

    @property
    def source(self) -> Source:
        return self.facts.flow.source


class TaskFixContext(NamedTuple):
    """What a strategy (dependencies, working-dir-cache, custom-image, process-runner) needs:
    the task and the installs to move, shell ones and those its Python scripts run."""

    facts: FlowFacts
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
    def flow(self) -> Flow:
        return self.facts.flow

    @property
    def target(self) -> tuple[int, int]:
        return self.flow.target_version

    @property
    def source(self) -> Source:
        return self.flow.source
