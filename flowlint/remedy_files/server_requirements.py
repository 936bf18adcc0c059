"""`flowlint server-requirements`: the packages to install once where the worker runs.

Remedy (c) of docs/kestra.md §6: the tasks move to the Process runner and the packages
they installed on every execution (FL001, FL004 and FL002, whatever the runner, as they all
end up on the worker) are installed when the server starts. The output holds the merged
requirements.txt, the command line and a docker-compose form of it.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable

from flowlint.lang.printable import visible
from flowlint.records import NamedTuple
from flowlint.remedy_files.gather import (
    SERVER_RULES,
    FileSettings,
    FixedSettings,
    TaskRef,
    gather,
)
from flowlint.remedy_files.requirements_merge import merge_requirements


class ServerRequirements(NamedTuple):
    requirements: tuple[str, ...]   # one per package, sorted by canonical name
    requirements_txt: str
    command_line: str               # '' when there is nothing to install
    compose_snippet: str            # YAML; '' when there is nothing to install
    tasks: tuple[TaskRef, ...]      # the tasks whose installs these are
    problems: list[str]
    unread: int = 0                 # files and folders that could not be read

    @property
    def text(self) -> str:
        """Everything to print: the tasks, then the three forms of the install."""
        if not self.requirements_txt:
            return ("# flowlint found no Python package installs that run on every execution "
                    "(FL001, FL002, FL004) in these flows.\n")
        # Ids and paths come from the flow files: a line break in one would end the comment.
        listed = "".join(f"#   {visible(str(task))}\n" for task in self.tasks)
        return (
            f"# The Python packages {len(self.tasks)} task(s) install on every execution:\n"
            f"{listed}"
            "# Install them once where the Kestra worker runs, then run the tasks on the "
            "Process runner\n"
            "# without their installs (flowlint check --fix --unsafe-fixes --strategy "
            "process-runner).\n"
            "\n# requirements.txt\n"
            f"{self.requirements_txt}"
            "\n# Command line, on the worker host (in the Python environment the tasks use):\n"
            f"{self.command_line}\n"
            "\n# docker-compose.yml: merge into your kestra service\n"
            f"{self.compose_snippet}"
        )


    def rendered(self, output_format: str) -> str:
        """`all` (the explained text) or one form alone, as a file that tool reads:
        `requirements` (requirements.txt), `shell` (a script) or `compose` (YAML)."""
        if output_format == "requirements":
            return self.requirements_txt
        if output_format == "shell":
            return f"#!/bin/sh\nset -e\n{self.command_line}\n" if self.command_line else ""
        if output_format == "compose":
            return self.compose_snippet
        return self.text


OUTPUT_FORMATS = ("all", "requirements", "shell", "compose")


def build_server_requirements(paths: Iterable[str], target_version: tuple[int, int] = (1, 0),
                              *, excludes: Iterable[str] = (),
                              file_settings: FileSettings | None = None,
                              worker_threads: int = 16) -> ServerRequirements:
    """What to install at server start for the flagged tasks under `paths` (`file_settings`
    as for build_image_contexts)."""
    file_settings = file_settings or FixedSettings.default(target_version)
    gathering = gather(paths, file_settings, SERVER_RULES, excludes)
    merged = merge_requirements(gathering.requests)
    system = [f"{request.task}: installs system packages ("
              + "; ".join(f"{manager}: {', '.join(packages)}"
                          for manager, packages in request.packages.system)
              + "): install them on the worker host by hand"
              for request in gathering.requests if request.packages.system]
    problems = [visible(problem) for problem in (*gathering.problems, *merged.problems,
                                                 *system)]
    tasks = tuple(dict.fromkeys(request.task for request in gathering.requests))
    if not merged.requirements:
        return ServerRequirements((), "", "", "", tasks, problems, gathering.unread)
    arguments = [*(word for option in merged.options for word in option.split(None, 1)),
                 *merged.requirements]
    pip_install = "pip install " + " ".join(shlex.quote(argument) for argument in arguments)
    server = f"server standalone --worker-thread={worker_threads}"
    command_line = f"{pip_install} && ./kestra {server}"
    return ServerRequirements(merged.requirements, merged.text, command_line,
                              compose_snippet(pip_install, server), tasks, problems,
                              gathering.unread)


def compose_snippet(pip_install: str, server: str) -> str:
    """The kestra service of a docker-compose file: install, then start the server."""
    # The image's entrypoint writes KESTRA_CONFIGURATION to the config file before it
    # runs /app/kestra, so the shell hands over to it rather than to /app/kestra.
    # Ubuntu 24.04, under recent Kestra images, marks its Python as externally managed
    # (PEP 668); older pip ignores the variable. No `$` can appear, so compose interpolation
    # leaves the command alone: gathering refuses it in every requirement and index option
    # value (flowlint.remedies.image_packages). json.dumps escapes every character
    # that could end the YAML string, and shlex.quote every one the shell would read.
    script = f"PIP_BREAK_SYSTEM_PACKAGES=1 {pip_install} && exec docker-entrypoint.sh {server}"
    return (
        "services:\n"
        "  kestra:\n"
        "    user: \"root\"   # pip installs into the image's system Python\n"
        "    entrypoint: [\"/bin/sh\", \"-c\"]\n"
        "    # docker-entrypoint.sh applies KESTRA_CONFIGURATION, then runs /app/kestra\n"
        "    command:\n"
        f"      - {json.dumps(script)}\n"
    )
