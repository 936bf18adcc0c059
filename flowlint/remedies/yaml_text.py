"""Text surgery on a YAML file: regions of nodes, new text that fits where it lands.

Fixes never dump YAML; they replace a region of the original text with text written
for that place (its indentation, sequence style, quote style and newline).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from flowlint.findings import Edit
from flowlint.source import Source

_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_./$(][^#\n]*$")
_RESERVED_PLAIN = re.compile(
    r"^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|"
    r"off|Off|OFF|y|Y|n|N|[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|0x[0-9a-fA-F]+|"
    r"0o[0-7]+|\.inf|\.nan|[-+]?\.inf)$")


# A block scalar header with the keep indicator, after any anchor or tag: `&a |+`, `>2+`.
_KEEP_CHOMPING = re.compile(r"(?:[&!][^ \t\r\n]*[ \t]+)*[|>](?:[1-9]?\+|\+[1-9])")


class FixRefused(Exception):
    """The fix cannot be written safely here; the message is the reason users see, and
    `strategy` the remedy that refused, when the rule has several."""

    def __init__(self, reason: str, strategy: str = "") -> None:
        super().__init__(reason)
        self.strategy = strategy


@dataclass(frozen=True)
class Style:
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
    """A one-line YAML scalar for `value`: plain when that reads back the same, else quoted.

    `in_flow`: the scalar goes inside `[...]` or `{...}`, where , [ ] { } end a plain one.
    """
    if prefer is None and _PLAIN_SAFE.match(value) and not _RESERVED_PLAIN.match(value) \
            and ": " not in value and not value.endswith((":", " ")) and "{{" not in value \
            and not (in_flow and any(char in value for char in ",[]{}")):
        return value
    quote = prefer or style.quote
    if quote == "'" and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def rewrite_scalar(source: Source, node: ScalarNode, value: str, style: Style) -> Edit:
    """Replace a one-line scalar by `value`, keeping its quote style where it had one."""
    start = node_start(source, node)
    end = source.offset(node.end_mark.line, node.end_mark.column)
    if node.style in ("|", ">"):
        raise FixRefused("the command sits in a block scalar that cannot be rewritten safely")
    prefer = node.style if node.style in ("'", '"') else None
    return Edit(start, end, quote_scalar(value, style, prefer))


def emit_value_lines(value: object, indent: int, style: Style) -> list[str]:
    """Block YAML lines for a str, list of str or dict value, indented by `indent`."""
    pad = " " * indent
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                lines.append(f"{pad}{key}:")
                child = indent + (style.sequence_indent if isinstance(item, list) else style.indent)
                lines.extend(emit_value_lines(item, child, style))
            else:
                lines.append(f"{pad}{key}: {quote_scalar(str(item), style)}")
        return lines
    if isinstance(value, list):
        lines = []
        for item in value:
            if isinstance(item, dict):
                inner = emit_value_lines(item, indent + 2, style)
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines.extend(inner[1:])
            else:
                lines.append(f"{pad}- {quote_scalar(str(item), style)}")
        return lines
    return [f"{pad}{quote_scalar(str(value), style)}"]


def emit_property(key: str, value: object, indent: int, style: Style) -> str:
    """`key: value` as block YAML at `indent`, ending with the file's newline."""
    if isinstance(value, (dict, list)):
        child = indent + (style.sequence_indent if isinstance(value, list) else style.indent)
        lines = [f"{' ' * indent}{key}:"] + emit_value_lines(value, child, style)
    else:
        lines = [f"{' ' * indent}{key}: {quote_scalar(str(value), style)}"]
    return "".join(line + style.newline for line in lines)


def indent_text(text: str, extra: int) -> str:
    """Shift every non-blank line right; blank lines stay empty so block scalars keep."""
    pad = " " * extra
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))
