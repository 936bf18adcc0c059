"""Python package installs of a flow's tasks with their runner: shared by FL001 and FL004."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from flowlint.commands import LocatedInstall, task_installs
from flowlint.model import Flow, Runner, Task, effective_runner

DEFAULT_INSTALLERS = ("pip", "uv", "conda", "mamba", "micromamba", "poetry", "pipenv")


@dataclass(frozen=True)
class TaskInstall:
    task: Task
    runner: Runner
    located: LocatedInstall

    @property
    def yaml_path(self) -> str:
        return f"{self.task.path}.{self.located.command.label}"


def python_installs(flow: Flow, parameters: Mapping[str, object]) -> Iterator[TaskInstall]:
    installers = set(parameters.get("installers", DEFAULT_INSTALLERS))  # type: ignore[arg-type]
    for task in flow.tasks:
        if task.script_kind is None:
            continue
        installs = [located for located in task_installs(flow.source, task)
                    if located.install.ecosystem == "python"
                    and located.install.tool in installers]
        if not installs:
            continue
        runner = effective_runner(task, flow.target_version)
        for located in installs:
            yield TaskInstall(task, runner, located)


def where(located: LocatedInstall) -> str:
    """'beforeCommands' or 'beforeCommands (from pluginDefaults)'."""
    if located.command.origin != "task":
        return f"{located.command.field} (from pluginDefaults)"
    return located.command.field
