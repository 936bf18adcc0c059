"""Each rule's documented Example raises it; its Use instead does not."""

from __future__ import annotations

import pytest

from flowlint.catalogue import Rule, load_catalogue
from flowlint.lint import Settings, check_source
from flowlint.source import Source

CATALOGUE = load_catalogue()


def _codes(text: str, code: str) -> list[str]:
    # Every rule runs, as in a real check: FL900 judges suppressions by the selected rules.
    result = check_source(Source.from_text("doc.yaml", text), Settings(frozenset(CATALOGUE)))
    return [finding.rule for finding in result.findings if finding.rule == code]


@pytest.mark.parametrize("rule", CATALOGUE.values(), ids=lambda rule: rule.code)
def test_example_raises_the_rule(rule: Rule) -> None:
    assert rule.code in _codes(rule.doc.example, rule.code)


@pytest.mark.parametrize("rule", CATALOGUE.values(), ids=lambda rule: rule.code)
def test_use_instead_does_not(rule: Rule) -> None:
    assert _codes(rule.doc.use_instead, rule.code) == []
