"""Rule behaviour from fixtures/: every marker is a finding and every finding is marked."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import expected_markers, fixture_files, fixture_id

from flowlint.catalogue import load_catalogue
from flowlint.lint import Settings, check_bytes

CATALOGUE = load_catalogue()
DEFAULT_RULES = frozenset(code for code, rule in CATALOGUE.items() if rule.enabled_by_default)


def _rules(path: Path) -> frozenset[str]:
    """The rules a user gets by default, plus the fixture folder's own (which may be off)."""
    return DEFAULT_RULES | {path.parent.name}


def _findings(path: Path) -> set[tuple[int, str]]:
    data = path.read_bytes()
    result = check_bytes(data, str(path), Settings(_rules(path)))
    assert result.error is None, result.error
    found = set()
    for finding in result.findings:
        line, _ = result.source.position(finding.span.start)
        found.add((line, finding.rule))
    return found


@pytest.mark.parametrize("path", fixture_files("bad-*.yaml"), ids=fixture_id)
def test_bad_fixture_findings_match_markers(path: Path) -> None:
    expected = expected_markers(path.read_text(encoding="utf-8-sig"))
    assert expected, f"{path.name} has no `# expect:` marker"
    assert _findings(path) == expected


@pytest.mark.parametrize("path", fixture_files("good-*.yaml"), ids=fixture_id)
def test_good_fixture_has_no_finding_of_its_rule(path: Path) -> None:
    code = path.parent.name
    found = {item for item in _findings(path) if item[1] == code}
    assert found == set()
