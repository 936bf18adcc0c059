"""FL003: Python code that installs packages when it runs (subprocess, os.system, pip.main, !pip).

Fixed by the install strategies: the calls go from the script (flowlint.remedies.script_edits)
and their packages move where the strategy puts them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from flowlint.facts.flow_facts import PYTHON_INSTALLERS, FlowFacts
from flowlint.findings import Finding, Fix, shorten
from flowlint.kestra import plugin_types
from flowlint.kestra.flow import Task
from flowlint.records import TYPE_CHECKING
from flowlint.yamlnodes import scalar_text

# The script analysers load with the first Python script (flowlint.facts.flow_facts).
if TYPE_CHECKING:
    from flowlint.facts.python_scripts import ScriptAnalysis
    from flowlint.lang.python_shapes import ScriptInstall
    from flowlint.remedies.fix_context import FixRequest

CODE = "FL003"
NAME = "pip-install-in-script"
FIXED_BY_STRATEGIES = True


def check(facts: FlowFacts, parameters: Mapping[str, object]) -> Iterator[Finding]:
    installers = set(parameters.get("installers", PYTHON_INSTALLERS))  # type: ignore[arg-type]
    for call in facts.script_install_calls:
        tools = [site.install.tool for site in call.sites if site.install.tool in installers]
        if tools:
            task = call.analysis.script.task
            message, remedy = _message(facts, call.analysis, task, call.found, tools[0])
            yield Finding(
                CODE,
                call.span,
                message,
                task_id=task.id,
                yaml_path=f"{task.path}.{call.analysis.script.label}",
                help=remedy,
                detail=call,
            )


def notes(facts: FlowFacts) -> Iterator[str]:
    """The scripts FL003 did not read, for --verbose: those too long to analyse."""
    for analysis in facts.script_analyses:
        if analysis.too_long:
            from flowlint.lang.python_code import MAX_SCRIPT_CHARS

            task = analysis.script.task
            yield (f"FL003 did not check the Python {analysis.script.label} of '{task.id}': "
                   f"{len(analysis.script.text):,} characters, over the limit of "
                   f"{MAX_SCRIPT_CHARS:,} that flowlint analyses")


def fix(request: FixRequest) -> Fix:
    # Fixing code loads when a fix is planned: checking a clean flow never imports it.
    from flowlint.facts.python_scripts import ScriptCall
    from flowlint.remedies.strategies import install_context, plan_with_strategy

    sites = [site for call in request.details(ScriptCall) for site in call.sites]
    return plan_with_strategy(install_context(request, script_installs=sites))


def _message(facts: FlowFacts, analysis: ScriptAnalysis, task: Task, found: ScriptInstall,
             tool: str) -> tuple[str, str]:
    """The first line (what is wrong, where) and the help (why, what to do)."""
    where = f"the Python {analysis.script.label} of '{task.id}'"
    if analysis.script.origin != "task":
        where += " (from pluginDefaults)"
    if found.notebook:
        return (f"'{shorten(found.code)}' in {where} is IPython syntax, not Python: the "
                f"script fails with a SyntaxError",
                "list the packages in `dependencies` or an image instead")
    when, why = _when(facts, task)
    return (f"{tool} install in {where} runs {when}: '{found.shown(60)}'",
            f"{why}; {_remedy(facts, task)}")


def _when(facts: FlowFacts, task: Task) -> tuple[str, str]:
    if _fresh_virtualenv(task):
        return "at every execution", "the legacy task makes a fresh virtualenv each run"
    runner = facts.runner(task)
    if runner.starts_container:
        return ("at every execution",
                f"the task runs in a fresh container each run ({runner.describe()})")
    if runner.kind == "process":
        return ("on the worker host at every execution",
                f"the task runs on the worker host ({runner.describe()})")
    return "at every execution", runner.describe()


def _remedy(facts: FlowFacts, task: Task) -> str:
    runner = facts.runner(task)
    if runner.kind == "process" and not _fresh_virtualenv(task):
        return "install the packages once at server start and remove the call"
    return "list the packages in `dependencies` or an image and remove the call"


def _fresh_virtualenv(task: Task) -> bool:
    if task.type != plugin_types.LEGACY_PYTHON:
        return False
    return (scalar_text(task.prop("virtualEnv")) or "true").strip().lower() != "false"
