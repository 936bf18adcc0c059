"""Console commands that Python packages put on PATH, and which of them a task runs."""

from __future__ import annotations

from flowlint.kestra.flow import Task
from flowlint.kestra.task_shell import LocatedInstall, command_texts
from flowlint.lang import shell
from flowlint.lang.distributions import knows, programs_of
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


def runs_programs_of(task: Task, installs: tuple[LocatedInstall, ...], packages: list[str],
                     programs_run_by_scripts: set[str]) -> bool:
    """Whether the task runs a program the packages put on PATH (dbt, papermill...), which a
    `--target` folder's bin holds once they are installed there; or may: a package flowlint
    knows nothing of, and a program that is not a common tool (`edr` of elementary-data)."""
    if console_commands_used(task, installs, packages) \
            or programs_run_by_scripts & commands_provided(packages):
        return True
    names = [name for name in map(requirement_name, packages) if name]
    return not all(map(knows, names)) and bool(_unexplained_programs(task, installs))


def _unexplained_programs(task: Task, installs: tuple[LocatedInstall, ...]) -> set[str]:
    """Programs the task runs by name that are neither common tools nor Python, pip or uv."""
    install_commands = {located.install.command for located in installs}
    found = set()
    for command in command_texts(task):
        for simple in shell.split_commands(command.node.value):
            if simple in install_commands or not simple.words:
                continue
            program = simple.words[0].text
            if "/" not in program and program not in shell.COMMON_TOOLS \
                    and not shell.PYTHON_PROGRAM.match(program) \
                    and not shell.PIP_PROGRAM.match(program) and program != "uv":
                found.add(program)
    return found
