"""The rules: one module per rule, named `flNNN_<rule name>.py`, holding its check and its fix.

A rule module defines:
- `CODE` and `NAME`, equal to its entry in the catalogue (rules/FLNNN.yaml; a test ties them);
- `check(facts, parameters) -> Iterator[Finding]` for a rule judged on each flow (FL000 and
  FL900 judge the file's YAML and its suppression comments instead, and are called by
  flowlint.lint at those steps);
- `fix(request) -> Fix` when the rule is fixable, reading the data its findings carry
  (FL900's fix is known as soon as its finding is: it sets `FIX_WITH_FINDING` instead).

The registry is read from the module file names, so adding a rule touches no list here, and
importing the registry imports no rule: each module loads when its rule is first run.
"""

from __future__ import annotations

import importlib
import os
import re
from functools import lru_cache
from types import ModuleType

_MODULE_FILE = re.compile(r"^fl(\d{3})_[a-z0-9_]+\.py$")


@lru_cache(maxsize=1)
def module_names() -> dict[str, str]:
    """Rule code -> module name, in code order, read from the package's files (a listing,
    not pkgutil: its walk imports `inspect`, a tenth of a one-file check's start-up)."""
    found = {}
    for file_name in os.listdir(os.path.dirname(__file__)):
        match = _MODULE_FILE.match(file_name)
        if match:
            found[f"FL{match.group(1)}"] = file_name[:-len(".py")]
    return dict(sorted(found.items()))


@lru_cache(maxsize=None)
def rule_module(code: str) -> ModuleType:
    """The module of a rule (KeyError for a code no module implements)."""
    return importlib.import_module(f"{__name__}.{module_names()[code]}")


def flow_rules(codes: frozenset[str]) -> list[ModuleType]:
    """The modules among `codes` whose rule is judged on each flow, in code order."""
    modules = [rule_module(code) for code in module_names() if code in codes]
    return [module for module in modules if hasattr(module, "check")]


def fixable_codes() -> list[str]:
    """Codes of the rules that offer fixes."""
    return [code for code in module_names() if is_fixable(rule_module(code))]


def is_fixable(module: ModuleType) -> bool:
    return hasattr(module, "fix") or getattr(module, "FIX_WITH_FINDING", False)
