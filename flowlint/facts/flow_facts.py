"""What a flow's tasks run, computed once per flow and shared by every rule and fix.

Each fact is computed on first use and kept for the flow: a rule that needs no script analysis
never pays for one, and no two rules see different answers.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from functools import cached_property

from flowlint.findings import Finding
from flowlint.kestra.flow import Flow, Runner, Task, effective_runner
from flowlint.kestra.task_shell import LocatedInstall, task_installs
from flowlint.kestra.working_directory import install_location, is_cached
from flowlint.records import TYPE_CHECKING, NamedTuple
from flowlint.source import Source

# The script analysers load with the first flow that has a Python script, the image reader
# with the first rule that asks for an image: a check imports only what its flows need.
if TYPE_CHECKING:
    from flowlint.facts.python_scripts import ScriptAnalysis, ScriptCall
    from flowlint.kestra.images import TaskImage

# The Python install tools the install rules judge by default (their `installers` parameter).
PYTHON_INSTALLERS = ("pip", "uv", "conda", "mamba", "micromamba", "poetry", "pipenv")


class TaskInstall(NamedTuple):
    """A Python install written in a task's shell text, with what decides whether it runs at
    every execution: the task's runner and the enclosing WorkingDirectory's cache."""

    task: Task
    runner: Runner
    located: LocatedInstall
    cached: bool          # a WorkingDirectory cache keeps what it installs
    folder: str | None    # the working-directory folder it installs into; None: outside it

    @property
    def yaml_path(self) -> str:
        return f"{self.task.path}.{self.located.command.label}"

    @property
    def where(self) -> str:
        """'beforeCommands' or 'beforeCommands (from pluginDefaults)'."""
        command = self.located.command
        if command.origin != "task":
            return f"{command.field} (from pluginDefaults)"
        return command.field

    def finding(self, rule: str, message: str, help: str | None = None) -> Finding:
        """A finding of `rule` at this install, carrying it as its detail."""
        return Finding(rule, self.located.span, message, task_id=self.task.id,
                       yaml_path=self.yaml_path, help=help, detail=self)


class FlowFacts:
    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self._runners: dict[int, Runner] = {}
        self._installs: dict[int, tuple[LocatedInstall, ...]] = {}

    @property
    def source(self) -> Source:
        return self.flow.source

    @property
    def target_version(self) -> tuple[int, int]:
        return self.flow.target_version

    @property
    def tasks(self) -> list[Task]:
        return self.flow.tasks

    def runner(self, task: Task) -> Runner:
        if id(task) not in self._runners:
            self._runners[id(task)] = effective_runner(task, self.flow.target_version)
        return self._runners[id(task)]

    def image(self, task: Task) -> TaskImage:
        """The image the task's container starts from (whatever its runner)."""
        from flowlint.kestra.images import task_image

        return task_image(task, self.flow.target_version)

    def installs(self, task: Task) -> tuple[LocatedInstall, ...]:
        """Every install (any ecosystem) in the task's shell text, in order."""
        if id(task) not in self._installs:
            self._installs[id(task)] = tuple(task_installs(self.flow.source, task))
        return self._installs[id(task)]

    @cached_property
    def python_installs(self) -> tuple[TaskInstall, ...]:
        """The Python installs in the shell text of the flow's script tasks, in flow order."""
        found = []
        for task in self.flow.tasks:
            if task.script_kind is None:
                continue
            for located in self.installs(task):
                if located.install.ecosystem == "python":
                    found.append(TaskInstall(task, self.runner(task), located,
                                             is_cached(located, task),
                                             install_location(located, task)))
        return tuple(found)

    def python_installs_by(self, installers: Collection[str]) -> Iterator[TaskInstall]:
        """The Python installs made with one of the `installers` (pip, uv, conda...)."""
        return (found for found in self.python_installs
                if found.located.install.tool in installers)

    @cached_property
    def script_analyses(self) -> tuple[ScriptAnalysis, ...]:
        """The analyses of the flow's Python scripts (libcst loads only if one needs it)."""
        if not any(task.script_kind is not None and task.script_kind.language == "python"
                   for task in self.flow.tasks):
            return ()   # no Python task: the analysers are not even imported
        from flowlint.facts.python_scripts import analyse_scripts

        return tuple(analyse_scripts(self.flow))

    def analyses_of(self, task: Task) -> list[ScriptAnalysis]:
        return [analysis for analysis in self.script_analyses if analysis.script.task is task]

    @cached_property
    def script_install_calls(self) -> tuple[ScriptCall, ...]:
        """The calls of the flow's parsed scripts that install packages, in flow order."""
        if not self.script_analyses:
            return ()
        from flowlint.facts.python_scripts import ScriptCall

        # A script that may not run anything is not parsed for this.
        return tuple(ScriptCall(analysis, found) for analysis in self.script_analyses
                     if analysis.may_run_programs and analysis.parses
                     for found in analysis.code.installs)

    def programs_run_by_scripts(self, task: Task) -> set[str]:
        """Programs the task's Python scripts run (subprocess, os.system)."""
        return {program for analysis in self.analyses_of(task)
                for program in analysis.code.programs}
