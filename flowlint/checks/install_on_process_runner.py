"""FL004: a Python package install that runs on the worker host at every execution."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from flowlint.caching import is_cached
from flowlint.checks.python_installs import python_installs, where
from flowlint.findings import Finding
from flowlint.model import Flow

CODE = "FL004"


def check(flow: Flow, parameters: Mapping[str, object]) -> Iterator[Finding]:
    for found in python_installs(flow, parameters):
        if found.runner.kind != "process" or is_cached(found.located, found.task):
            continue
        yield Finding(
            CODE,
            found.located.span,
            f"{found.located.install.tool} install in {where(found.located)} runs on the "
            f"worker host at every execution of '{found.task.id}' ({found.runner.describe()}): "
            f"'{found.located.text}'; install the packages once at server start "
            f"(`flowlint server-requirements`) and remove the command",
            task_id=found.task.id,
            yaml_path=found.yaml_path,
        )
