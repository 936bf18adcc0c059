"""The rule modules and the catalogue describe the same rules: codes, names, fixability."""

from __future__ import annotations

import pytest

from flowlint.catalogue import load_catalogue
from flowlint.rules import fixable_codes, is_fixable, module_names, rule_module

CATALOGUE = load_catalogue()


def test_every_catalogue_rule_has_a_module_and_every_module_a_rule() -> None:
    assert list(module_names()) == list(CATALOGUE)


@pytest.mark.parametrize("code", list(CATALOGUE))
def test_module_matches_its_catalogue_entry(code: str) -> None:
    module = rule_module(code)
    rule = CATALOGUE[code]
    assert (module.CODE, module.NAME) == (rule.code, rule.name)
    assert module_names()[code] == f"{code.lower()}_{rule.name.replace('-', '_')}"
    assert is_fixable(module) == rule.fixable == (code in fixable_codes())


def test_flow_rules_have_a_check_and_the_file_rules_do_not() -> None:
    # FL000 (the YAML itself) and FL900 (suppression comments) are judged by flowlint.lint.
    without_check = [code for code in CATALOGUE if not hasattr(rule_module(code), "check")]
    assert without_check == ["FL000", "FL900"]
