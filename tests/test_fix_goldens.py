"""Every bad fixture of a fixable rule, fixed with each of its strategies, against its golden
output."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from goldens import bad_fixtures, cases, golden_paths, refusals, run_fix, settings_for
from helpers import fixture_id

from flowlint.engine import check_source
from flowlint.fixes.engine import fix_source
from flowlint.fixes.yamltext import content_end, line_start
from flowlint.model import build_flow, is_flow
from flowlint.source import Source, decode
from flowlint.yamlnodes import compose

CASES = cases()


def _case_id(case: tuple[Path, str]) -> str:
    return f"{fixture_id(case[0])}:{case[1]}"


def task_line_ranges(source: Source, ids: set[str]) -> list[range]:
    """0-based line ranges of the given tasks, from their first line to their last."""
    ranges = []
    documents, _ = compose(source)
    for index, document in enumerate(documents):
        if not is_flow(document):
            continue
        for task in build_flow(source, document, index).tasks:
            if task.id in ids:
                first = source.position(line_start(source.text, task.span.start))[0] - 1
                last = source.position(content_end(source, task.node))[0] - 1
                ranges.append(range(first, last + 1))
    return ranges


def assert_changes_inside_tasks(before: Source, after_text: str, ids: set[str]) -> None:
    """No line outside the fixed tasks was changed, removed or added."""
    allowed = task_line_ranges(before, ids)
    old_lines = before.text.splitlines(True)
    matcher = difflib.SequenceMatcher(a=old_lines, b=after_text.splitlines(True), autojunk=False)
    for tag, start, end, _, _ in matcher.get_opcodes():
        if tag == "equal":
            continue
        # An insertion lands between lines: it must touch a fixed task's last line or lie in it.
        touched = range(start, end) if end > start else range(max(start - 1, 0), start)
        assert any(set(touched) <= set(span) for span in allowed), (
            f"lines {start + 1}-{end} changed outside the fixed tasks {sorted(ids)}")


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_fix_matches_golden_and_is_verified(case: tuple[Path, str]) -> None:
    path, strategy = case
    fixed_path, refused_path = golden_paths(path, strategy)
    assert fixed_path.exists() or refused_path.exists(), \
        f"no golden for {path.name} with {strategy}: run python tests/goldens.py --update"
    run = run_fix(path, strategy)
    code = path.parent.name
    assert refusals(run, code) == (refused_path.read_text(encoding="utf-8")
                                   if refused_path.exists() else "")
    if not fixed_path.exists():
        assert not run.changed
        return
    golden = fixed_path.read_bytes()
    assert run.source.encode(run.text) == golden
    fixed = decode(golden, fixed_path.name)
    result = check_source(fixed, settings_for(strategy))
    fixed_pairs = {(applied.rule, applied.task_id) for applied in run.applied}
    assert not [finding for finding in result.findings
                if (finding.rule, finding.task_id) in fixed_pairs]
    assert [finding for finding in result.findings if finding.rule == "FL000"] == []
    again = fix_source(fixed, settings_for(strategy), unsafe=True)
    assert again.text == fixed.text, "fixing the golden again changed it"
    scope = set().union(*(applied.scope for applied in run.applied))
    assert_changes_inside_tasks(run.source, run.text, scope)


def test_fixed_files_keep_crlf_and_bom() -> None:
    crlf = [path for path in Path(bad_fixtures()[0]).parent.parent.glob("*/*.fixed.*.yaml")
            if b"\r\n" in path.read_bytes()]
    assert crlf, "a CRLF fixture should have CRLF goldens"
    for path in crlf:
        assert b"\n" not in path.read_bytes().replace(b"\r\n", b"")
