"""Shared test helpers: fixture discovery and expected-finding markers."""

from __future__ import annotations

import re
from pathlib import Path

from flowlint.kestra.flow import build_flow, is_flow
from flowlint.remedies.yaml_text import content_end, line_start
from flowlint.source import Source
from flowlint.yamlnodes import compose

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
_INLINE = re.compile(r"#\s*expect:\s*(FL\d{3}(?:\s*,\s*FL\d{3})*)")
_BY_LINE = re.compile(r"#\s*expect-line\s+(\d+):\s*(FL\d{3}(?:\s*,\s*FL\d{3})*)")
CORE_RULES = ("FL000", "FL001", "FL002", "FL004")


def fixture_files(pattern: str) -> list[Path]:
    return sorted(path for path in FIXTURES.glob(f"*/{pattern}") if ".fixed." not in path.name)


def expected_markers(text: str) -> set[tuple[int, str]]:
    """(line, code) pairs from `# expect: FL001` and `# expect-line 7: FL000` comments."""
    expected: set[tuple[int, str]] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _BY_LINE.finditer(line):
            expected.update((int(match.group(1)), code.strip())
                            for code in match.group(2).split(","))
        cleaned = _BY_LINE.sub("", line)
        for match in _INLINE.finditer(cleaned):
            expected.update((number, code.strip()) for code in match.group(1).split(","))
    return expected


def fixture_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


# Flows shared by several test files.
BAD_FLOW = """\
id: etl
namespace: company.team
tasks:
  - id: transform
    type: io.kestra.plugin.scripts.python.Script
    beforeCommands:
      - pip install pandas requests
    script: print(1)
"""
GOOD_FLOW = BAD_FLOW.replace("      - pip install pandas requests\n", "      - python -V\n")
PANDAS_FLOW = """\
id: etl
namespace: company.team
tasks:
  - id: transform
    type: io.kestra.plugin.scripts.python.Script
    beforeCommands:
      - pip install pandas
    script: |
      import pandas
"""


# The promise every fix keeps: no byte outside the fixed tasks changes.


def parse(text: str) -> list:
    documents, problem = compose(Source.from_text("flow.yaml", text))
    assert problem is None, f"{problem}\n{text}"
    return documents


def tasks_by_id(text: str) -> dict:
    source = Source.from_text("flow.yaml", text)
    tasks = {}
    for index, document in enumerate(parse(text)):
        if is_flow(document):
            for task in build_flow(source, document, index).tasks:
                tasks[task.id] = task
    return tasks


def task_lines(source: Source, ids: set[str]) -> set[int]:
    """0-based lines of the given tasks, from a task's first line to its last."""
    lines: set[int] = set()
    for task in tasks_by_id(source.text).values():
        if task.id in ids:
            first = source.position(line_start(source.text, task.span.start))[0] - 1
            last = source.position(content_end(source, task.node))[0] - 1
            lines.update(range(first, last + 1))
    return lines


def assert_changes_only_inside(before: Source, after: str, ids: set[str]) -> None:
    """The lines outside the fixed tasks are all in `after`, in order, byte for byte."""
    allowed = task_lines(before, ids)
    old = before.text.splitlines(True)
    gaps: list[str] = []
    previous_allowed = True
    for number, line in enumerate(old):
        if number in allowed:
            previous_allowed = True
            continue
        if previous_allowed:
            gaps.append("")
        gaps[-1] += line
        previous_allowed = False
    position = 0
    for index, gap in enumerate(gaps):
        if index == 0 and 0 not in allowed:
            found = 0 if after.startswith(gap) else -1
        elif index == len(gaps) - 1 and len(old) - 1 not in allowed:
            found = len(after) - len(gap) if after.endswith(gap) else -1
            found = found if found >= position else -1
        else:
            found = after.find(gap, position)
        assert found >= 0, f"text outside {sorted(ids)} changed:\n{gap}\n--- in ---\n{after}"
        position = found + len(gap)


