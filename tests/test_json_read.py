"""flowlint.json_read reads what json.loads reads, and refuses what it refuses."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowlint import json_read

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30)


@settings(max_examples=400, deadline=None)
@given(JSON_VALUES, st.sampled_from(["", " ", "\n", "\r\n\t "]))
def test_what_json_writes_is_read_back_alike(value: object, around: str) -> None:
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False),
                 json.dumps(value, separators=(",", ":"))):
        assert json_read.loads(around + text + around) == json.loads(text)


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet='{}[]",:0123456789.eE+-truefalsnNIiy \t\n\\u"x\x00', max_size=40))
def test_any_text_is_read_or_refused_as_json_loads_does(text: str) -> None:
    try:
        expected = json.loads(text)
    except ValueError:
        with pytest.raises(ValueError):
            json_read.loads(text)
        return
    got = json_read.loads(text)
    assert json.dumps(got) == json.dumps(expected)


@pytest.mark.parametrize("text", ["", "   ", "[1] [2]", "[1,]", "{'a': 1}", "[1", "01",
                                  '"\\ud800x', "\ufeff[1]", "nul"])
def test_refused(text: str) -> None:
    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        json_read.loads(text)


def test_constants_and_deep_nesting() -> None:
    assert json_read.loads("[NaN, Infinity, -Infinity]")[1] == float("inf")
    with pytest.raises(RecursionError):
        json_read.loads("[" * 100_000 + "]" * 100_000)


def test_the_json_package_is_not_imported() -> None:
    code = ("import sys; from flowlint import json_read; "
            "assert json_read.loads('{\"a\": [1]}') == {'a': [1]}; "
            "print('json' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    assert out.strip() == "False"
