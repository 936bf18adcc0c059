"""FL003: Python code that installs packages when it runs (subprocess, os.system, pip.main, !pip)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from flowlint import kestra
from flowlint.checks.python_installs import DEFAULT_INSTALLERS
from flowlint.findings import Finding
from flowlint.model import Flow, Task, effective_runner
from flowlint.python_scripts import ScriptAnalysis, ScriptInstall, analyse_flow, install_packages
from flowlint.yamlnodes import scalar_text

CODE = "FL003"


def check(flow: Flow, parameters: Mapping[str, object]) -> Iterator[Finding]:
    installers = set(parameters.get("installers", DEFAULT_INSTALLERS))  # type: ignore[arg-type]
    for analysis in analyse_flow(flow):
        if not analysis.parses:
            continue   # nothing to say about code we could not read (see python_scripts)
        task = analysis.script.task
        for found in analysis.code.installs:
            tools = [install.tool for install in found.installs
                     if install.ecosystem == "python" and install.tool in installers]
            if tools:
                yield _finding(flow, analysis, task, found, tools[0])


def _finding(flow: Flow, analysis: ScriptAnalysis, task: Task, found: ScriptInstall,
             tool: str) -> Finding:
    statement = analysis.span(*found.statement) if found.statement else None
    return Finding(
        CODE,
        analysis.span(found.start, found.end),
        _message(flow, analysis, task, found, tool),
        task_id=task.id,
        yaml_path=f"{task.path}.{analysis.script.label}",
        extra={
            "packages": install_packages(found),
            "command": found.command,
            "statement_span": (statement.start, statement.end) if statement else None,
            "standalone": found.standalone,
            "notebook": found.notebook,
        },
    )


def _message(flow: Flow, analysis: ScriptAnalysis, task: Task, found: ScriptInstall,
             tool: str) -> str:
    where = f"the Python {analysis.script.label} of '{task.id}'"
    if analysis.script.origin != "task":
        where += " (from pluginDefaults)"
    if found.notebook:
        return (f"'{found.code}' in {where} is IPython syntax, not Python: the script fails "
                f"with a SyntaxError before it runs; list the packages in `dependencies` or "
                f"an image instead")
    # A call written over several lines may hold comments: quote the command it runs then.
    shown = found.code if found.end - found.start == len(found.code) else found.command
    return (f"{tool} install in {where} runs {_when(flow, task)}: '{_short(shown)}'; "
            f"{_remedy(flow, task)}")


def _when(flow: Flow, task: Task) -> str:
    if _fresh_virtualenv(task):
        return "on every execution (a fresh virtualenv each run)"
    runner = effective_runner(task, flow.target_version)
    if runner.starts_container:
        return f"on every execution ({runner.describe()}, a fresh container each run)"
    if runner.kind == "process":
        return f"on the worker host at every execution ({runner.describe()})"
    return f"at every execution ({runner.describe()})"


def _remedy(flow: Flow, task: Task) -> str:
    runner = effective_runner(task, flow.target_version)
    if runner.kind == "process" and not _fresh_virtualenv(task):
        return "install the packages once at server start and remove the call"
    return "list the packages in `dependencies` or an image and remove the call"


def _fresh_virtualenv(task: Task) -> bool:
    if task.type != kestra.LEGACY_PYTHON:
        return False
    return (scalar_text(task.prop("virtualEnv")) or "true").strip().lower() != "false"


def _short(code: str, limit: int = 100) -> str:
    return code if len(code) <= limit else code[:limit - 3] + "..."
