"""Reading composed YAML: `get` answers as `mapping_items` orders keys (own keys first, then
merged ones), whatever the mapping holds: merge keys, a quoted `<<`, repeated keys, keys that
are not scalars, aliases."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from flowlint.source import Source
from flowlint.yamlnodes import compose, get, mapping_items

DOCUMENTS = [
    "a: 1\nb: 2\n",
    "base: &base {x: 1, y: 2}\nm:\n  <<: *base\n  x: 3\n",
    "one: &one {x: 1}\ntwo: &two {x: 2, z: 3}\nm:\n  <<: [*one, *two]\n  y: 4\n",
    "m:\n  '<<': quoted\n  x: 1\n",
    "m: {x: 1, x: 2}\n",
    "m:\n  ? [a, b]\n  : complex\n  x: 1\n",
    "m:\n  <<: {x: merged}\n  <<: {y: also}\n",
    "m: &self {x: 1}\n",
]
KEYS = ["a", "b", "m", "x", "y", "z", "<<", "base", "missing", ""]


def first(node: object, key: str) -> object:
    return next((value for name, _, value in mapping_items(node) if name == key), None)


def mappings(text: str) -> list[object]:
    documents, problem = compose(Source.from_text("f.yaml", text))
    assert problem is None, problem
    found = []
    pending = list(documents)
    while pending:
        node = pending.pop()
        if isinstance(node.value, list) and node not in found:
            found.append(node)
            for item in node.value:
                pending.extend(item if isinstance(item, tuple) else (item,))
    return found


def test_get_answers_as_mapping_items_orders_keys() -> None:
    for text in DOCUMENTS:
        found = mappings(text)
        assert found, text
        for node in found:
            for key in KEYS:
                assert get(node, key) is first(node, key), (text, key)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["x", "y", "'<<'", "<<"]),
                          st.sampled_from(["1", "*a", "*b", "[*a, *b]", "{x: 9}"])),
                max_size=5))
def test_get_agrees_on_generated_merges(pairs: list[tuple[str, str]]) -> None:
    body = "".join(f"  {key}: {value}\n" for key, value in pairs)
    text = f"a: &a {{x: 1, y: 2}}\nb: &b {{y: 3}}\nm:\n{body or '  {}'}\n"
    documents, problem = compose(Source.from_text("f.yaml", text))
    if problem is not None:
        return   # e.g. a merge of a scalar: not a mapping to read
    for node in mappings(text):
        for key in ("x", "y", "<<", "m"):
            assert get(node, key) is first(node, key), (text, key)
