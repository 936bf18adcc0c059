"""FL001: a Python package install in a task that runs in a fresh container.

Fixed by the install strategies (flowlint.remedies.strategies): the installs this rule reported
on the task, and only those, move to `dependencies`, a cached folder, an image or the worker.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from flowlint.facts.flow_facts import PYTHON_INSTALLERS, FlowFacts, TaskInstall
from flowlint.findings import Finding, Fix, shorten
from flowlint.records import TYPE_CHECKING

if TYPE_CHECKING:
    from flowlint.kestra.flow import Task
    from flowlint.remedies.fix_context import FixRequest

CODE = "FL001"
NAME = "pip-install-per-execution"
FIXED_BY_STRATEGIES = True


def check(facts: FlowFacts, parameters: Mapping[str, object]) -> Iterator[Finding]:
    installers = parameters.get("installers", PYTHON_INSTALLERS)
    for found in facts.python_installs_by(installers):  # type: ignore[arg-type]
        if not found.runner.starts_container or found.task.working_directory is not None:
            continue   # inside a WorkingDirectory, its cache decides: FL005
        yield found.finding(
            CODE,
            f"{found.located.install.tool} install in {found.where} of '{found.task.id}' "
            f"runs at every execution: '{shorten(found.located.text)}'",
            f"the task runs in a fresh container each run ({found.runner.describe()}); use "
            f"{_remedies(found.task)}")


def _remedies(task: Task) -> str:
    kind = task.script_kind
    if kind is not None and kind.language == "python" and kind.shape != "legacy":
        return "`dependencies`, a cached WorkingDirectory or an image with the packages"
    return "a cached WorkingDirectory or an image with the packages"   # no `dependencies`


def fix(request: FixRequest) -> Fix:
    # Fixing code loads when a fix is planned: checking a clean flow never imports it.
    from flowlint.remedies.strategies import install_context, plan_with_strategy

    installs = [found.located for found in request.details(TaskInstall)]
    return plan_with_strategy(install_context(request, installs))
