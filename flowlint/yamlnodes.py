"""Positioned YAML: compose documents into nodes and read them without constructing objects.

Composing (not loading) means no tag is ever constructed (`!!python/object` stays a string)
and an alias is the same node object as its anchor, so alias bombs cost no memory; walkers
keep a set of visited nodes so they do not cost time either.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from flowlint.findings import Span
from flowlint.source import Source

TRUE_WORDS = frozenset({"true", "True", "TRUE", "yes", "on"})
MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class YamlProblem:
    message: str
    offset: int


NULL_TAG = "tag:yaml.org,2002:null"
_NULL_WORDS = frozenset({"", "~", "null", "Null", "NULL"})


def _fast_resolver() -> type:
    """A resolver that tells apart only what flowlint reads: null, merge keys, strings.

    ruamel's resolver tries a regular expression per scalar in Python even with the C
    parser; flowlint never needs ints, floats or booleans as such (it reads the text), and
    skipping that is a fifth of the cost of reading a flow.
    """
    from ruamel.yaml.resolver import VersionedResolver
    from ruamel.yaml.tag import Tag

    null, merge = Tag(suffix=NULL_TAG), Tag(suffix=MERGE_TAG)

    class FastResolver(VersionedResolver):
        def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> Tag:
            if kind is ScalarNode:
                if implicit[0] and value in _NULL_WORDS:
                    return null
                if implicit[0] and value == "<<":
                    return merge
                return self.DEFAULT_SCALAR_TAG
            if kind is SequenceNode:
                return self.DEFAULT_SEQUENCE_TAG
            return self.DEFAULT_MAPPING_TAG

    return FastResolver


@lru_cache(maxsize=1)
def _yaml():  # noqa: ANN202 - the ruamel type is private
    from ruamel.yaml import YAML

    try:
        yaml = YAML(typ="safe", pure=False)
    except Exception:  # no C extension on this interpreter: the pure composer is correct too
        yaml = YAML(typ="safe", pure=True)
    yaml.Resolver = _fast_resolver()
    return yaml


def compose(source: Source) -> tuple[list[Node], YamlProblem | None]:
    """The documents of a file, and the syntax problem that stopped composing, if any."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    documents: list[Node] = []
    try:
        for document in _yaml().compose_all(source.text):
            if document is not None:
                documents.append(document)
    except MarkedYAMLError as error:
        return documents, _problem(source, error)
    except YAMLError as error:
        return documents, YamlProblem(f"invalid YAML: {error}", 0)
    except RecursionError:
        return documents, YamlProblem("invalid YAML: nesting is too deep to read", 0)
    return documents, None


def _problem(source: Source, error: Exception) -> YamlProblem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    offset = source.offset(mark.line, mark.column) if mark is not None else 0
    return YamlProblem(message, offset)


def node_span(source: Source, node: Node) -> Span:
    start = source.offset(node.start_mark.line, node.start_mark.column)
    end = source.offset(node.end_mark.line, node.end_mark.column)
    return Span(start, max(start, end))


def scalar_text(node: Node | None) -> str | None:
    if not isinstance(node, ScalarNode):
        return None
    # The tag is only looked at for text that could be a null (reading it costs).
    if node.value in _NULL_WORDS and node.tag == NULL_TAG:
        return None
    return node.value


def is_true(node: Node | None) -> bool:
    return scalar_text(node) in TRUE_WORDS


def mapping_items(node: Node) -> Iterator[tuple[str, Node, Node]]:
    """Key text, key node and value node of a mapping, with `<<` merges after own keys."""
    if not isinstance(node, MappingNode):
        return
    merges: list[Node] = []
    for key, value in node.value:
        if key.value == "<<" and key.tag == MERGE_TAG:
            merges.append(value)
        elif isinstance(key, ScalarNode):
            yield key.value, key, value
    for merged in merges:
        parts = merged.value if isinstance(merged, SequenceNode) else [merged]
        for part in parts:
            if part is not node:
                yield from mapping_items(part)


def get(node: Node | None, key: str) -> Node | None:
    for name, _, value in mapping_items(node):
        if name == key:
            return value
    return None


def get_text(node: Node | None, key: str) -> str | None:
    return scalar_text(get(node, key))


def sequence_items(node: Node | None) -> list[Node]:
    return list(node.value) if isinstance(node, SequenceNode) else []


def string_list(node: Node | None) -> list[str]:
    return [text for item in sequence_items(node) if (text := scalar_text(item)) is not None]


def walk_nodes(roots: Iterable[Node], with_keys: bool = False) -> Iterator[Node]:
    """Every node under the roots, each once: an alias is its anchor's node, so aliases
    (and alias bombs) cost one visit. Mapping keys are visited only `with_keys`."""
    seen: set[int] = set()
    pending = list(roots)
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if with_keys:
                    pending.append(key)
                pending.append(value)
        elif isinstance(node, SequenceNode):
            pending.extend(node.value)


def duplicate_keys(root: Node) -> Iterator[ScalarNode]:
    """The second (and later) occurrence of each key repeated within one mapping."""
    for node in walk_nodes([root]):
        if not isinstance(node, MappingNode):
            continue
        keys: set[str] = set()
        for key, _ in node.value:
            if isinstance(key, ScalarNode) and not (key.value == "<<" and key.tag == MERGE_TAG):
                if key.value in keys:
                    yield key
                keys.add(key.value)


def to_data(node: Node, memo: dict[int, object] | None = None) -> object:
    """Plain Python data (strings for scalars) for comparing documents; aliases shared."""
    memo = {} if memo is None else memo
    if id(node) in memo:
        return memo[id(node)]
    if isinstance(node, ScalarNode):
        return node.value
    if isinstance(node, SequenceNode):
        items: list[object] = []
        memo[id(node)] = items
        items.extend(to_data(item, memo) for item in node.value)
        return items
    mapping: dict[str, object] = {}
    memo[id(node)] = mapping
    for key, key_node, value in mapping_items(node):
        mapping[key] = to_data(value, memo)
    return mapping


def scalar_offset(source: Source, node: ScalarNode, index: int) -> int:
    """File offset of character `index` of a scalar's value.

    Literal blocks map line by line (what scripts use); for other styles the value is
    looked up in the node's text, falling back to where the scalar starts.
    """
    span = node_span(source, node)
    if node.style == "|":
        return _literal_offset(source, node, index)
    raw = source.text[span.start:span.end]
    if node.style in ("'", '"'):
        offsets = _quoted_offsets(raw, node.style)
        if offsets is not None and len(offsets) == len(node.value) + 1:
            return span.start + offsets[min(max(index, 0), len(node.value))]
    found = raw.find(node.value)
    if found >= 0:
        return span.start + found + index
    line_end = node.value.find("\n", index)
    fragment = node.value[index: line_end if line_end >= 0 else None].strip()
    found = raw.find(fragment) if fragment else -1
    return span.start + found if found >= 0 else span.start


_ESCAPE_LENGTHS = {"x": 4, "u": 6, "U": 10}


def _quoted_offsets(raw: str, style: str) -> list[int] | None:
    """Offset in `raw` of each character of a one-line quoted scalar's value, and of its end.

    Escapes (`''`, `\\"`, `\\u00e9`) make the value shorter than its text, so a plain search
    for the value misses; a scalar folded over lines gives None.
    """
    if "\n" in raw or len(raw) < 2 or raw[0] != style or raw[-1] != style:
        return None
    offsets: list[int] = []
    position, end = 1, len(raw) - 1
    while position < end:
        offsets.append(position)
        if style == "'" and raw[position] == "'":
            position += 2
        elif style == '"' and raw[position] == "\\":
            position += _ESCAPE_LENGTHS.get(raw[position + 1: position + 2], 2)
        else:
            position += 1
    offsets.append(end)
    return offsets


def block_content_lines(source: Source, node: ScalarNode) -> tuple[int, int]:
    """(first content line, 0-based) and the block's indentation for a `|` or `>` scalar."""
    first_line = node.start_mark.line + 1
    last_line = max(first_line, node.end_mark.line)
    indent = None
    for line0 in range(first_line, min(last_line + 1, len(source.line_starts))):
        text = source.line_text(line0 + 1)
        if text.strip():
            indent = len(text) - len(text.lstrip(" "))
            break
    return first_line, indent if indent is not None else node.start_mark.column + 2


def _literal_offset(source: Source, node: ScalarNode, index: int) -> int:
    first_line, indent = block_content_lines(source, node)
    line_in_value = node.value.count("\n", 0, index)
    column = index - (node.value.rfind("\n", 0, index) + 1)
    line0 = first_line + line_in_value
    if line0 >= len(source.line_starts):
        return len(source.text)
    return source.line_starts[line0] + indent + column
