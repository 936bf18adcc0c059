"""FL004: a Python package install that runs on the worker host at every execution."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from flowlint.facts.flow_facts import PYTHON_INSTALLERS, FlowFacts
from flowlint.findings import Finding, shorten

CODE = "FL004"
NAME = "install-on-process-runner"


def check(facts: FlowFacts, parameters: Mapping[str, object]) -> Iterator[Finding]:
    installers = parameters.get("installers", PYTHON_INSTALLERS)
    for found in facts.python_installs_by(installers):  # type: ignore[arg-type]
        if found.runner.kind != "process" or found.task.working_directory is not None:
            continue   # inside a WorkingDirectory, its cache decides: FL005
        yield found.finding(
            CODE,
            f"{found.located.install.tool} install in {found.where} of '{found.task.id}' "
            f"runs on the worker host at every execution: '{shorten(found.located.text)}'",
            f"the task runs on the worker host ({found.runner.describe()}); install the "
            f"packages once at server start (`flowlint server-requirements`) and remove the "
            f"command")
