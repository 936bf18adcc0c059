"""Text surgery on a YAML file: regions of nodes, new text that fits where it lands.

Fixes never dump YAML; they replace a region of the original text with text written
for that place (its indentation, sequence style, quote style and newline).
"""

from __future__ import annotations

import re

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from flowlint.findings import Edit, FixRefused
from flowlint.records import NamedTuple
from flowlint.source import Source

# Plain scalars that read back as the same string in YAML 1.1 (PyYAML, SnakeYAML under
# Kestra's Jackson) and 1.2 (ruamel), pure and C parsers alike. An allow-list: printable
# ASCII starting with a letter, `_`, `/`, `$`, `(`, `.` before a space, `/` or a letter, or
# `-` before a letter or `-` (no indicator, no digit: numbers, dates, `1:20` sexagesimals,
# `.5`; no `~`, `=`, `<<`); no `#` (a comment after a space), no `: `, no end in `:` or a
# space, no Pebble `{{`. Inside `[...]` or `{...}` also no `, [ ] { }`, no `?` (PyYAML)
# and no `:` (libyaml, as in ruamel's C parser).
_PLAIN_SAFE = re.compile(r"(?:[A-Za-z_/$(]|\.[ /A-Za-z]|-[A-Za-z-])[ -\"$-~]*")
_PLAIN_UNSAFE_PART = re.compile(r": |:$| $|\{\{")
_FLOW_INDICATORS = frozenset(",[]{}?:")
# Words some resolver reads as a bool, null or float, in any case (YAML 1.1 has y/n/yes/no/
# on/off).
_RESERVED_PLAIN = re.compile(r"y|n|yes|no|on|off|true|false|null|\.inf|\.nan", re.IGNORECASE)
# Quotes hold a character as it is only when Python deems it printable: controls, C1 (with
# \x85), \u2028, \u2029, the BOM and unassigned code points go escaped, in double quotes,
# and so do characters beyond the BMP (\UXXXXXXXX, which every YAML parser decodes, rather
# than relying on each reader's handling of four-byte UTF-8).
_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
_DOUBLE_QUOTED = {"\\": "\\\\", '"': '\\"'}
# What a block scalar cannot hold as it is: YAML's non-printable characters, the BOM, and
# \r, \x85, \u2028, \u2029, which PyYAML, libyaml and ruamel alike read as line breaks.
# Compiled on first use: the character ranges take milliseconds to compile, and a check
# that writes nothing never needs them.
_BLOCK_UNSAFE = ("[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
                 "\U00010000-\U0010ffff]")
# The longest implicit key the YAML spec (and PyYAML, SnakeYAML) allows.
_MAX_KEY = 1024


# A block scalar header with the keep indicator, after any anchor or tag: `&a |+`, `>2+`.
_KEEP_CHOMPING = re.compile(r"(?:[&!][^ \t\r\n]*[ \t]+)*[|>](?:[1-9]?\+|\+[1-9])")


class Style(NamedTuple):
    """How this file writes YAML, read from the file itself."""

    newline: str
    indent: int          # spaces per mapping level
    sequence_indent: int  # spaces from a key to the dash of its block sequence (0 or more)
    quote: str           # "'" or '"'


def line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def line_end(text: str, offset: int) -> int:
    """Offset just after the newline of the line holding `offset` (or the text's end)."""
    end = text.find("\n", offset)
    return len(text) if end < 0 else end + 1


def node_start(source: Source, node: Node) -> int:
    return source.offset(node.start_mark.line, node.start_mark.column)


def content_end(source: Source, node: Node) -> int:
    """End of a node's last non-blank character.

    A block collection ends where its next sibling starts, so its end mark lies after the
    blank lines and comment lines between the two: the end of its last entry is used
    instead, so that text added after a task stays above a comment about the next task.
    """
    last = node
    while isinstance(last, (MappingNode, SequenceNode)) and not last.flow_style and last.value:
        if isinstance(last, MappingNode):
            key, child = last.value[-1]
            floor = _trimmed_end(source, key)
        else:
            child = last.value[-1]
            floor = _trimmed_end(source, last.value[-2]) if len(last.value) > 1 \
                else node_start(source, last)
        if node_start(source, child) <= floor:
            # An alias: the node it names is written elsewhere; keep the collection's end.
            return _trimmed_end(source, last)
        last = child
    return _trimmed_end(source, last)


def _trimmed_end(source: Source, node: Node) -> int:
    """A node's end mark, moved back over the blank lines that block nodes end with."""
    end = source.offset(node.end_mark.line, node.end_mark.column)
    text = source.text
    if isinstance(node, ScalarNode) and node.style in ("|", ">") \
            and _KEEP_CHOMPING.match(text, node_start(source, node)):
        return end   # `|+`: the trailing blank lines are part of the value
    while end > 0 and text[end - 1] in " \t\r\n":
        end -= 1
    return max(end, node_start(source, node))


def read_style(source: Source, root: MappingNode) -> Style:
    """How the flow writes YAML, read from its nodes: indentation, sequence indentation and
    the quote it uses most (flowlint.lint reads it once per flow with fixes to plan)."""
    indent, sequence_indent = 2, 2
    found_indent = found_sequence = False
    quotes = {"'": 0, '"': 0}
    pending: list[Node] = [root]
    seen: set[int] = set()
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, ScalarNode):
            if node.style in quotes:
                quotes[node.style] += 1
            continue
        if isinstance(node, MappingNode) and node.flow_style is not True:
            for key, value in node.value:
                if isinstance(value, MappingNode) and not found_indent and not value.flow_style \
                        and value.start_mark.line > key.start_mark.line:
                    indent = value.start_mark.column - key.start_mark.column
                    found_indent = indent > 0
                if isinstance(value, SequenceNode) and not found_sequence \
                        and not value.flow_style and value.start_mark.line > key.start_mark.line:
                    sequence_indent = value.start_mark.column - key.start_mark.column
                    found_sequence = sequence_indent >= 0
                pending.append(value)
        elif isinstance(node, SequenceNode):
            pending.extend(node.value)
    quote = '"' if quotes['"'] > quotes["'"] else "'"
    return Style(source.newline, indent if indent > 0 else 2, max(sequence_indent, 0), quote)


def quote_scalar(value: str, style: Style, prefer: str | None = None,
                 in_flow: bool = False) -> str:
    """A one-line YAML scalar for `value`: plain when every YAML parser reads it back the
    same, else quoted (`prefer`, the node's quote style, else the file's); double quotes
    when a character must be escaped.

    `in_flow`: the scalar goes inside `[...]` or `{...}`, where , [ ] { } end a plain one.
    """
    if any("\ud800" <= char <= "\udfff" for char in value):
        raise FixRefused(f"the value {value!r} holds a lone surrogate, which no YAML file "
                         "can encode")
    if prefer is None and _is_plain_safe(value, in_flow):
        return value
    if (prefer or style.quote) == "'" and all(_escape(char) == char for char in value):
        return "'" + value.replace("'", "''") + "'"
    return '"' + "".join(_DOUBLE_QUOTED.get(char) or _escape(char) for char in value) + '"'


def _is_plain_safe(value: str, in_flow: bool) -> bool:
    return bool(_PLAIN_SAFE.fullmatch(value)) and not _PLAIN_UNSAFE_PART.search(value) \
        and not _RESERVED_PLAIN.fullmatch(value) \
        and not (in_flow and any(char in _FLOW_INDICATORS for char in value))


def _escape(char: str) -> str:
    """The escape of a character that quotes cannot hold as it is, else the character."""
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if code > 0xFFFF:
        return f"\\U{code:08X}"
    if char.isprintable():
        return char
    return f"\\x{code:02X}" if code <= 0xFF else f"\\u{code:04X}"


def quote_key(key: str, style: Style) -> str:
    """A mapping key, quoted like a value when it needs to be; one line, at most 1024
    characters, as an implicit key must be."""
    text = quote_scalar(key, style)
    if len(text) > _MAX_KEY:
        raise FixRefused(f"the key {key[:40]!r}... is too long for a YAML implicit key")
    return text


def rewrite_scalar(source: Source, node: ScalarNode, value: str, style: Style,
                   in_flow: bool = False) -> Edit:
    """Replace a one-line scalar by `value`, keeping its quote style where it had one
    (`in_flow`: the scalar is an item or value of a `[...]` or `{...}`)."""
    start = node_start(source, node)
    end = source.offset(node.end_mark.line, node.end_mark.column)
    if node.style in ("|", ">"):
        raise FixRefused("the command sits in a block scalar that cannot be rewritten safely")
    prefer = node.style if node.style in ("'", '"') else None
    return Edit(start, end, quote_scalar(value, style, prefer, in_flow))


def literal_block_text(value: str, indent: int, newline: str) -> str:
    """The content lines of a `|` block (no indentation indicator) that read back as
    `value` under the block's own chomping, at `indent`.

    Refused when no such lines exist: a first line that starts with a space would move the
    indentation YAML detects (and end the block at the next line), libyaml rejects one that
    starts with a tab, and the characters of _BLOCK_UNSAFE would read differently or not at
    all. A `---` or `...` line is safe: it is never at column 0.
    """
    if indent < 1:
        raise FixRefused("the block scalar is not indented; flowlint does not rewrite it")
    bad = re.search(_BLOCK_UNSAFE, value)
    if bad:
        raise FixRefused(f"the block scalar would hold {bad.group()!r}, which YAML parsers "
                         "read differently or reject; rewrite it by hand")
    lines = value.split("\n")
    if value.endswith("\n"):
        lines.pop()
    if next((line for line in lines if line), "").startswith((" ", "\t")):
        raise FixRefused("the block scalar's first line would start with a space or a tab, "
                         "which moves the indentation YAML detects (or, for a tab, libyaml "
                         "rejects); rewrite it by hand")
    return "".join((" " * indent + line if line else "") + newline for line in lines)


def emit_value_lines(value: object, indent: int, style: Style) -> list[str]:
    """Block YAML lines for a str, list of str or dict value, indented by `indent`."""
    pad = " " * indent
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            lines.extend(_entry_lines(f"{pad}{quote_key(str(key), style)}:", item, indent,
                                      style))
        return lines
    if isinstance(value, list):
        lines = []
        for item in value:
            if isinstance(item, dict) and item:
                inner = emit_value_lines(item, indent + 2, style)
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines.extend(inner[1:])
            else:
                lines.append(f"{pad}- {_inline(item, style)}")
        return lines
    return [f"{pad}{quote_scalar(str(value), style)}"]


def emit_property(key: str, value: object, indent: int, style: Style) -> str:
    """`key: value` as block YAML at `indent`, ending with the file's newline."""
    lines = _entry_lines(f"{' ' * indent}{quote_key(key, style)}:", value, indent, style)
    return "".join(line + style.newline for line in lines)


def _entry_lines(head: str, value: object, indent: int, style: Style) -> list[str]:
    """`key:` then a block collection below it, or `key: value` on one line."""
    if isinstance(value, (dict, list)) and value:
        child = indent + (style.sequence_indent if isinstance(value, list) else style.indent)
        return [head] + emit_value_lines(value, child, style)
    return [f"{head} {_inline(value, style)}"]


def _inline(value: object, style: Style) -> str:
    """A scalar, or an empty collection (which block style cannot write: `key:` is null)."""
    if isinstance(value, (dict, list)) and not value:
        return "{}" if isinstance(value, dict) else "[]"
    return quote_scalar(str(value), style)


def indent_text(text: str, extra: int) -> str:
    """Shift every line right but the empty ones, which stay empty.

    A line of spaces inside a block scalar is shifted too: its spaces beyond the block's
    indentation are part of the value. Lines end at "\n", as Source counts them:
    str.splitlines would also split at \x85, \u2028 or \x0c and pad inside a line.
    """
    pad = " " * extra
    return "".join(pad + line if line.rstrip("\r\n") else line
                   for line in re.findall(r"[^\n]*\n|[^\n]+", text))
