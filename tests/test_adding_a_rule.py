"""CONTRIBUTING.md's "Adding a rule", followed to the letter on a copy of the project.

A toy rule, FL998 debug-log-level (a task left at `logLevel: DEBUG`, fixed to INFO), is added by
writing only the three places the page names: its catalogue entry, its module and its
fixtures. The copy's own tests then find it everywhere: the registry, the fixtures, the golden
fixes, the rule docs and the README table.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from helpers import REPO

CATALOGUE_ENTRY = """\
code: FL998
name: debug-log-level
severity: info
enabled_by_default: false
fixable: true
summary: A task left at logLevel DEBUG
doc:
  why: |
    A task left at DEBUG fills the execution logs.
  example: |
    id: chatty
    namespace: company.team
    tasks:
      - id: hello
        type: io.kestra.plugin.core.log.Log
        message: hi
        logLevel: DEBUG
  use_instead: |
    id: chatty
    namespace: company.team
    tasks:
      - id: hello
        type: io.kestra.plugin.core.log.Log
        message: hi
        logLevel: INFO
  fix_safety: |
    Safe: only the log level changes.
parameters: {}
"""

MODULE = '''\
"""FL998: a task left at logLevel DEBUG (a toy rule, written by tests/test_adding_a_rule.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from ruamel.yaml.nodes import ScalarNode

from flowlint.facts.flow_facts import FlowFacts
from flowlint.findings import Finding, Fix
from flowlint.yamlnodes import node_span

if TYPE_CHECKING:
    from flowlint.remedies.fix_context import FixRequest

CODE = "FL998"
NAME = "debug-log-level"
FIX_NAME = "log-level-info"


def check(facts: FlowFacts, parameters: Mapping[str, object]) -> Iterator[Finding]:
    for task in facts.tasks:
        node = task.prop("logLevel")
        if isinstance(node, ScalarNode) and node.value == "DEBUG":
            yield Finding(CODE, node_span(facts.source, node),
                          f"'{task.id}' logs at DEBUG; use INFO", task_id=task.id,
                          yaml_path=f"{task.path}.logLevel", detail=node)


def fix(request: FixRequest) -> Fix:
    from flowlint.remedies.yaml_text import rewrite_scalar

    edits = tuple(rewrite_scalar(request.source, node, "INFO", request.style)
                  for node in request.details(ScalarNode))
    return Fix("set logLevel INFO", edits, safe=True, scope=frozenset({request.task.id}))
'''

BAD = """\
id: chatty
namespace: company.team
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
    logLevel: DEBUG  # expect: FL998
"""


def test_a_rule_added_in_the_three_named_places_is_found_everywhere(tmp_path: Path) -> None:
    project = tmp_path / "project"
    for name in ("flowlint", "rules", "fixtures", "tests"):
        shutil.copytree(REPO / name, project / name,
                        ignore=shutil.ignore_patterns("__pycache__", ".flowlint_cache"))
    shutil.copy(REPO / "README.md", project / "README.md")
    # The three places: the catalogue, the module, the fixtures.
    (project / "rules" / "FL998.yaml").write_text(CATALOGUE_ENTRY, encoding="utf-8")
    (project / "flowlint" / "rules" / "fl998_debug_log_level.py").write_text(MODULE)
    (project / "fixtures" / "FL998").mkdir()
    (project / "fixtures" / "FL998" / "bad-debug.yaml").write_text(BAD)
    (project / "fixtures" / "FL998" / "good-info.yaml").write_text(
        BAD.replace("DEBUG  # expect: FL998", "INFO"))
    env = {**os.environ, "PYTHONPATH": str(project)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, *args], cwd=project, env=env, text=True,
                              capture_output=True, timeout=300)

    for step in (["-m", "flowlint.catalogue", "--update-readme"],
                 ["tests/goldens.py", "--update", "FL998"]):
        done = run(*step)
        assert done.returncode == 0, done.stdout + done.stderr
    golden = project / "fixtures" / "FL998" / "bad-debug.fixed.default.yaml"
    assert golden.read_text() == BAD.replace("DEBUG  # expect: FL998", "INFO  # expect: FL998")
    tests = run("-m", "pytest", "-q", "-p", "no:cacheprovider",
                "tests/test_rule_registry.py", "tests/test_fixtures.py",
                "tests/test_fix_goldens.py", "tests/test_rule_docs.py",
                "tests/test_catalogue.py", "-k", "FL998 or registry or readme_table")
    assert tests.returncode == 0, tests.stdout[-3000:]
    summary = tests.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary, summary
    listed = run("-m", "flowlint", "rules")
    assert "FL998  debug-log-level" in listed.stdout
    assert listed.stderr == ""
