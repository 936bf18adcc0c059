"""FL001: a Python package install in a task that runs in a fresh container."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from flowlint.caching import is_cached
from flowlint.checks.python_installs import python_installs, where
from flowlint.findings import Finding
from flowlint.model import Flow

CODE = "FL001"


def check(flow: Flow, parameters: Mapping[str, object]) -> Iterator[Finding]:
    for found in python_installs(flow, parameters):
        if not found.runner.starts_container or is_cached(found.located, found.task):
            continue
        yield Finding(
            CODE,
            found.located.span,
            f"{found.located.install.tool} install in {where(found.located)} runs on every "
            f"execution of '{found.task.id}' ({found.runner.describe()}, a fresh container "
            f"each run): '{found.located.text}'; use `dependencies`, a cached "
            f"WorkingDirectory or an image with the packages",
            task_id=found.task.id,
            yaml_path=found.yaml_path,
        )

