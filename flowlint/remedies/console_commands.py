"""Console commands that Python packages put on PATH, and which of them a task runs."""

from __future__ import annotations

from flowlint.kestra.flow import Task
from flowlint.kestra.task_shell import LocatedInstall, command_texts
from flowlint.lang import shell
from flowlint.lang.distributions import programs_of
from flowlint.lang.requirements import requirement_name


def commands_provided(packages: list[str]) -> set[str]:
    """The programs installing these requirements puts on PATH (from the packages' metadata)."""
    names = [name for name in map(requirement_name, packages) if name is not None]
    return set(programs_of(names))


def console_commands_used(task: Task, installs: tuple[LocatedInstall, ...],
                          packages: list[str]) -> list[str]:
    """Programs run by the task's shell text that the installed packages provide."""
    provided = commands_provided(packages)
    install_commands = {located.install.command for located in installs}
    used = []
    for command in command_texts(task):
        for simple in shell.split_commands(command.node.value):
            if simple in install_commands or not simple.words:
                continue
            program = simple.words[0].text.rsplit("/", 1)[-1]
            if program in provided and program not in used:
                used.append(program)
    return used
