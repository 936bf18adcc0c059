"""The quick schema check never accepts a config jsonschema refuses, and accepts the usual ones
(so a run with a config file does not load jsonschema)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from flowlint.config import SCHEMA_PATH
from flowlint.schema_subset import surely_valid

with open(SCHEMA_PATH, encoding="utf-8") as handle:
    SCHEMA = json.load(handle)
VALIDATOR = Draft202012Validator(SCHEMA)

# Values a TOML file can hold, near the schema's edges: right and wrong types, codes, globs.
WORDS = st.sampled_from(["FL001", "fl0", "FL", "ALL", "all", "pip-install-per-execution",
                         "Pip", "FL0011", "FL001\n", "", "x", "*.yaml", "legacy/", "1.0",
                         "0.15", "0.14", "2.0", "2.1", "1.100", "PT24H", "P1D", "PT", "P",
                         "PT1.5S", "deps", "venv", "auto", "dependencies", "custom-image",
                         "registry/{namespace}/{flow}:{task}", "img:{tag}", "FL999"])
SCALARS = st.one_of(WORDS, st.text(max_size=6), st.integers(-3, 3), st.booleans(),
                    st.floats(allow_nan=False, allow_infinity=False, width=16))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(WORDS | st.text(max_size=4), inner,
                                                 max_size=3)), max_leaves=8)
FIX_KEYS = st.sampled_from(["strategy", "image", "cache-layout", "ttl", "other"])
FIX = st.dictionaries(FIX_KEYS, VALUES | WORDS, max_size=4)
TOP_KEYS = st.sampled_from(["select", "ignore", "extend-select", "per-file-ignores",
                            "exclude", "target-version", "fix", "max-file-size", "rules",
                            "tool", "selct"])
CONFIGS = st.dictionaries(TOP_KEYS, st.one_of(VALUES, FIX, st.lists(WORDS, max_size=3),
                                              st.dictionaries(WORDS, st.lists(WORDS,
                                                                               max_size=2),
                                                              max_size=2)), max_size=5)


@settings(max_examples=3000, deadline=None)
@given(CONFIGS)
def test_what_the_quick_check_accepts_jsonschema_accepts(config) -> None:
    if surely_valid(config, SCHEMA):
        assert VALIDATOR.is_valid(config), config


USUAL = [
    {},
    {"select": ["FL001", "FL0"], "ignore": ["pip-install-per-execution"],
     "extend-select": ["ALL"]},
    {"per-file-ignores": {"legacy/*.yaml": ["FL004"]}, "exclude": ["drafts/", "*.tmp.yaml"]},
    {"target-version": "0.19", "max-file-size": 1_000_000},
    {"fix": {"strategy": "custom-image", "image": "registry.example.com/{namespace}:{flow}",
             "cache-layout": "deps", "ttl": "PT24H"}},
    {"rules": {"FL001": {"installers": ["pip", "uv"]}, "FL010": {}}},
]


def test_usual_configs_need_no_jsonschema() -> None:
    for config in USUAL:
        assert VALIDATOR.is_valid(config), config
        assert surely_valid(config, SCHEMA), config


def test_refusals_go_to_jsonschema() -> None:
    for config in ({"selct": []}, {"select": "FL001"}, {"max-file-size": 0},
                   {"max-file-size": True}, {"max-file-size": 1.0}, {"fix": {"ttl": "1h"}},
                   {"rules": {"fl001": {}}}, {"exclude": [""]}, {"target-version": 1.0}):
        assert not surely_valid(config, SCHEMA), config
    # An unknown keyword is never taken for a pass.
    assert not surely_valid("x", {"type": "string", "maxLength": 0})
    assert not surely_valid({}, {"$ref": "https://elsewhere/schema.json"})
