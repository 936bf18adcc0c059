"""Console commands that Python packages put on PATH: `dependencies` does not provide them."""

from __future__ import annotations

from flowlint.kestra.flow import Task
from flowlint.kestra.task_shell import LocatedInstall, command_texts
from flowlint.lang import shell
from flowlint.lang.requirements import requirement_name

# Distribution -> commands it installs, where the name differs or several exist.
CONSOLE_SCRIPTS: dict[str, frozenset[str]] = {
    "aiven-client": frozenset({"avn"}),
    "awscli": frozenset({"aws"}),
    "csvkit": frozenset({"csvcut", "csvstat", "csvlook", "csvsql", "in2csv", "csvjson",
                         "csvgrep", "csvsort", "csvstack", "csvjoin", "csvformat", "sql2csv"}),
    "dbt-core": frozenset({"dbt"}),
    "great-expectations": frozenset({"great_expectations", "gx"}),
    "httpie": frozenset({"http", "https"}),
    "ipykernel": frozenset({"jupyter"}),
    "jupyter": frozenset({"jupyter", "jupyter-nbconvert"}),
    "nbconvert": frozenset({"jupyter", "jupyter-nbconvert"}),
    "notebook": frozenset({"jupyter"}),
    "apache-airflow": frozenset({"airflow"}),
    "sqlfluff": frozenset({"sqlfluff"}),
    "kaggle": frozenset({"kaggle"}),
}


def commands_provided(packages: list[str]) -> set[str]:
    provided: set[str] = set()
    for spec in packages:
        name = requirement_name(spec)
        if name is None:
            continue
        provided.add(name)
        provided.update(CONSOLE_SCRIPTS.get(name, ()))
        if name.startswith("dbt-"):
            provided.add("dbt")
    return provided


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
