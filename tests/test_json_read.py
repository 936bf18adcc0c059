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


def test_a_broken_document_is_a_value_error_without_the_json_package() -> None:
    """The C scanner names json.decoder's error only when that module is imported: a warm
    run never imports it, and an error deep in a document was then a SystemError."""
    code = ("import sys; from flowlint import json_read\n"
            "for text in ['[1', '{\"a\": [1, 2', '[\"x\\tb\"]', '[\"\\\\x\"]', '{\"a\":1,}',"
            " '[01]', \"{'a': 1}\"]:\n"
            "    assert 'json.decoder' not in sys.modules\n"
            "    try:\n"
            "        json_read.loads(text)\n"
            "    except ValueError:\n"
            "        pass\n"
            "    else:\n"
            "        raise AssertionError(text)\n"
            "    sys.modules.pop('json.decoder', None); sys.modules.pop('json', None)\n"
            "print('ok')")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    assert out.strip() == "ok"
