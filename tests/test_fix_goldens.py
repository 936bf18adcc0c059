"""Every bad fixture of a fixable rule, fixed with each of its strategies, against its golden
output."""

from __future__ import annotations

from pathlib import Path

import pytest
from goldens import bad_fixtures, cases, golden_paths, refusals, run_fix, settings_for
from helpers import assert_changes_only_inside, fixture_id

from flowlint.lint import check_source
from flowlint.run.fix_loop import fix_source
from flowlint.source import decode

CASES = cases()


def _case_id(case: tuple[Path, str]) -> str:
    return f"{fixture_id(case[0])}:{case[1]}"


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
    scope = set().union(*(applied.fix.scope for applied in run.applied))
    assert_changes_only_inside(run.source, run.text, scope)


def test_fixed_files_keep_crlf_and_bom() -> None:
    crlf = [path for path in Path(bad_fixtures()[0]).parent.parent.glob("*/*.fixed.*.yaml")
            if b"\r\n" in path.read_bytes()]
    assert crlf, "a CRLF fixture should have CRLF goldens"
    for path in crlf:
        assert b"\n" not in path.read_bytes().replace(b"\r\n", b"")
