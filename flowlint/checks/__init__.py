"""The registry of checks: rule code -> function (flow, rule parameters) -> findings.

FL000 is not here: syntax errors and duplicate keys come from reading the file, which the
engine does before there is a flow to check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from flowlint.checks import (
    duplicate_install,
    fragile_venv_cache,
    image_pulled_every_run,
    import_not_installed,
    install_on_process_runner,
    legacy_python_requirements,
    package_install_per_execution,
    pip_install_in_script,
    pip_install_per_execution,
    uncached_working_directory,
    unpinned_requirement,
)
from flowlint.findings import Finding
from flowlint.model import Flow

Check = Callable[[Flow, Mapping[str, object]], Iterator[Finding]]

CHECKS: dict[str, Check] = {
    "FL001": pip_install_per_execution.check,
    "FL002": legacy_python_requirements.check,
    "FL003": pip_install_in_script.check,
    "FL004": install_on_process_runner.check,
    "FL005": uncached_working_directory.check,
    "FL006": fragile_venv_cache.check,
    "FL007": unpinned_requirement.check,
    "FL008": image_pulled_every_run.check,
    "FL009": package_install_per_execution.check,
    "FL010": import_not_installed.check,
    "FL011": duplicate_install.check,
}
