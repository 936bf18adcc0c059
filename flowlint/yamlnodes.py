"""Positioned YAML: compose documents into nodes and read them without constructing objects.

Composing (not loading) means no tag is ever constructed (`!!python/object` stays a string)
and an alias is the same node object as its anchor, so alias bombs cost no memory; walkers
keep a set of visited nodes so they do not cost time either.
"""

from __future__ import annotations

import bisect
import weakref
from array import array
from collections.abc import Iterable, Iterator
from functools import lru_cache

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from flowlint.findings import Span
from flowlint.records import NamedTuple
from flowlint.source import Source

TRUE_WORDS = frozenset({"true", "True", "TRUE", "yes", "on"})
MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlProblem(NamedTuple):
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
    from ruamel.yaml.reader import ReaderError

    documents: list[Node] = []
    try:
        for document in _yaml().compose_all(source.text):
            if document is not None:
                documents.append(document)
    except MarkedYAMLError as error:
        return documents, _problem(source, error)
    except ReaderError as error:   # a character YAML does not allow: at its own position
        character = chr(error.character) if isinstance(error.character, int) \
            else str(error.character)
        return documents, YamlProblem(f"invalid YAML: the character {character!r} (U+"
                                      f"{ord(character[:1] or ' '):04X}) is not allowed in "
                                      "YAML", error.position)
    except YAMLError as error:
        return documents, YamlProblem(f"invalid YAML: {_one_line(str(error))}", 0)
    except RecursionError:
        return documents, YamlProblem("invalid YAML: nesting is too deep to read", 0)
    return documents, None


def _problem(source: Source, error: Exception) -> YamlProblem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    message = _one_line(f"invalid YAML: {problem}" + (f" ({context})" if context else ""))
    offset = source.offset(mark.line, mark.column) if mark is not None else 0
    return YamlProblem(message, offset)


def _one_line(message: str) -> str:
    """ruamel's messages may span lines; a finding's message is one line."""
    return " ".join(message.split())


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
    """The value of `key` in a mapping, as mapping_items orders keys (own keys first, then
    merged ones). The own keys are scanned here without a generator: this is read for every
    mapping of every flow, most of them without merges."""
    if not isinstance(node, MappingNode):
        return None
    merged = False
    for key_node, value in node.value:
        text = key_node.value
        if text == "<<" and key_node.tag == MERGE_TAG:
            merged = True
        elif text == key and isinstance(key_node, ScalarNode):
            return value
    if not merged:
        return None
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

    Literal blocks map line by line (what scripts use); one-line quoted scalars through their
    escapes; for other styles the value is looked up in the node's text, and when it is not
    there (folded over lines) each character is walked to its place.

    The table behind the answer is built once per scalar and kept while the same source is
    looked up, so the lookups of a scalar cost its length once, then a bisection each: rules
    ask for the place of every word of a command, and a line of 16,000 words must not cost
    16,000 walks of itself.
    """
    return _offset_map(source, node)(index)


class _OffsetMap:
    """File offsets of a scalar's value characters (index clamped to the value)."""

    def __call__(self, index: int) -> int:
        raise NotImplementedError


class _Shifted(_OffsetMap):
    """The value stands in the file as it is, from `start`."""

    def __init__(self, start: int) -> None:
        self.start = start

    def __call__(self, index: int) -> int:
        return self.start + index


class _Escaped(_OffsetMap):
    """A one-line quoted scalar: the value's characters in order, each escape (`''`, `\\"`,
    `\\u00e9`) one character of the value written with several of the file."""

    def __init__(self, start: int, length: int, escapes: list[int], positions: list[int],
                 widths: list[int]) -> None:
        self.start, self.length = start, length
        self.escapes = escapes        # value index of each escape, ascending
        self.positions = positions    # its offset in the file
        self.widths = widths          # how many characters of the file it takes

    def __call__(self, index: int) -> int:
        index = min(max(index, 0), self.length)
        k = bisect.bisect_right(self.escapes, index) - 1
        if k < 0:
            return self.start + index
        if index == self.escapes[k]:
            return self.positions[k]
        return self.positions[k] + self.widths[k] + index - self.escapes[k] - 1


class _Literal(_OffsetMap):
    """A `|` block: line n of the value is content line n of the block, after its indent."""

    def __init__(self, source: Source, node: ScalarNode) -> None:
        self.source = source
        self.first_line, self.indent = block_content_lines(source, node)
        starts = array("q", [0])
        find = node.value.find
        at = find("\n")
        while at >= 0:
            starts.append(at + 1)
            at = find("\n", at + 1)
        self.value_lines = starts

    def __call__(self, index: int) -> int:
        line_in_value = max(bisect.bisect_right(self.value_lines, index) - 1, 0)
        column = index - self.value_lines[line_in_value]
        line0 = self.first_line + line_in_value
        if line0 >= len(self.source.line_starts):
            return len(self.source.text)
        return self.source.line_starts[line0] + self.indent + column


class _Walked(_OffsetMap):
    """Any other scalar: each value character found by walking the file text (_align)."""

    def __init__(self, offsets: array) -> None:
        self.offsets = offsets

    def __call__(self, index: int) -> int:
        return self.offsets[min(max(index, 0), len(self.offsets) - 1)]


# The maps of the scalars of the source looked up last. Keyed by the node's id, with the
# node kept (its id cannot be reused while it is here); the source is held weakly, and a
# lookup in another source starts afresh, so memory stays within one file's scalars.
_maps_source: weakref.ref | None = None
_maps: dict[int, tuple[ScalarNode, _OffsetMap]] = {}


def _offset_map(source: Source, node: ScalarNode) -> _OffsetMap:
    global _maps_source
    if _maps_source is None or _maps_source() is not source:
        _maps.clear()
        _maps_source = weakref.ref(source)
    kept = _maps.get(id(node))
    if kept is not None and kept[0] is node:
        return kept[1]
    found = _build_map(source, node)
    _maps[id(node)] = (node, found)
    return found


def _build_map(source: Source, node: ScalarNode) -> _OffsetMap:
    if node.style == "|":
        return _Literal(source, node)
    span = node_span(source, node)
    raw = source.text[span.start:span.end]
    if node.style in ("'", '"'):
        escaped = _quoted_escapes(raw, node.style, span.start, len(node.value))
        if escaped is not None:
            return escaped
    found = raw.find(node.value)
    if found >= 0:
        return _Shifted(span.start + found)
    return _Walked(align(source, node))


_ESCAPE_LENGTHS = {"x": 4, "u": 6, "U": 10}


def _quoted_escapes(raw: str, style: str, start: int, length: int) -> _Escaped | None:
    """The escapes of a one-line quoted scalar's text, or None when the text is not one line
    in quotes or its characters do not add up to the value's `length`.

    Escapes (`''`, `\\"`, `\\u00e9`) make the value shorter than its text, so a plain search
    for the value misses. Found with str.find, so the cost is the text's length.
    """
    if "\n" in raw or len(raw) < 2 or raw[0] != style or raw[-1] != style:
        return None
    mark = "'" if style == "'" else "\\"
    escapes: list[int] = []
    positions: list[int] = []
    widths: list[int] = []
    position, end, index = 1, len(raw) - 1, 0
    while True:
        at = raw.find(mark, position, end)
        if at < 0:
            index += end - position
            break
        index += at - position
        width = 2 if style == "'" else _ESCAPE_LENGTHS.get(raw[at + 1: at + 2], 2)
        escapes.append(index)
        positions.append(start + at)
        widths.append(width)
        index += 1
        position = at + width
        if position >= end:
            break
    if index != length:
        return None
    return _Escaped(start + 1, length, escapes, positions, widths)


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


def align(source: Source, node: ScalarNode) -> array:
    """File offset of each value character of a folded, plain or quoted scalar.

    The value is the raw text with line folding, indentation, quotes and escapes removed, so
    walking both side by side and skipping what YAML dropped recovers each character's place.
    """
    value, text = node.value, source.text
    span = node_span(source, node)
    p, end = span.start, span.end
    indent = 0
    if node.style in (">", "|"):
        p = text.find("\n", p) + 1 or end
        indent = _block_indent(text, p, end)
    elif node.style in ('"', "'"):
        p += 1
    offsets = array("q")
    budget = indent
    for char in value:
        while p < end:
            raw = text[p]
            if raw == "\r":
                p += 1
                continue
            if raw == " " and budget > 0:   # block indentation, not part of the value
                budget -= 1
                p += 1
                continue
            if node.style == '"' and raw == "\\":
                if text[p + 1:p + 2] in ("\n", "\r"):
                    p = text.find("\n", p) + 1
                    budget = 0
                    continue
                offsets.append(p)
                p += _escape_length(text, p)
                break
            if node.style == "'" and raw == "'" and text[p + 1:p + 2] == "'" and char == "'":
                offsets.append(p)
                p += 2
                break
            if raw == char or (raw == "\n" and char == " "):
                offsets.append(p)
                p += 1
                budget = indent if raw == "\n" else 0
                break
            if raw in " \t\n":   # indentation or a line break that YAML dropped
                budget = indent if raw == "\n" else budget
                p += 1
                continue
            p = end               # lost track: map the rest to where the scalar ends
        else:
            offsets.append(min(p, len(text)))
    offsets.append(min(p, len(text)))
    return offsets


def _block_indent(text: str, start: int, end: int) -> int:
    for line in text[start:end].split("\n"):
        if line.strip():
            return len(line) - len(line.lstrip(" "))
    return 0


def _escape_length(text: str, p: int) -> int:
    kind = text[p + 1:p + 2]
    return 2 + {"x": 2, "u": 4, "U": 8}.get(kind, 0)
