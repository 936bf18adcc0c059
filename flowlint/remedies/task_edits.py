"""Adding, replacing and wrapping at the level of a task's mapping."""

from __future__ import annotations

import re

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from flowlint.findings import Edit, FixRefused, apply_edits
from flowlint.kestra.flow import Task
from flowlint.remedies.yaml_text import (
    Style,
    content_end,
    emit_property,
    emit_value_lines,
    indent_text,
    line_end,
    line_start,
    node_start,
)
from flowlint.source import Source

_EXPLICIT_BLOCK_INDENT = re.compile(r"(?::|-)[ \t]+[|>][+-]?[1-9]")


def own_entry(task: Task, key: str) -> tuple[ScalarNode, Node] | None:
    for key_node, value in task.node.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node, value
    return None


def key_indent(source: Source, task: Task) -> int:
    if task.node.flow_style:
        raise FixRefused(f"task '{task.id}' is written in flow style ({{...}}); "
                         "flowlint only rewrites block mappings")
    return task.node.start_mark.column


def append_properties(source: Source, task: Task, properties: dict[str, object],
                      style: Style) -> Edit:
    """New keys after the task's last line, at its key indentation."""
    indent = key_indent(source, task)
    text = "".join(emit_property(key, value, indent, style) for key, value in properties.items())
    return _append_lines(source, task, text, style)


def append_comment(source: Source, task: Task, comment: str, style: Style) -> Edit:
    """A comment line (`comment` starts with '#') after the task's last line, at its key
    indentation."""
    text = " " * key_indent(source, task) + comment + style.newline
    return _append_lines(source, task, text, style)


def _append_lines(source: Source, task: Task, text: str, style: Style) -> Edit:
    at = line_end(source.text, content_end(source, task.node) - 1)
    if at == len(source.text) and not source.text.endswith("\n"):
        before = _before_final_block_scalar(source, task)
        if before is not None:
            return Edit(before, before, text)
    return _insertion(source, at, text, style)


def _before_final_block_scalar(source: Source, task: Task) -> int | None:
    """Start of the task's last key line when the task ends the file (with no final newline)
    in a block scalar: a line after it would add a line break to that scalar's value."""
    key, last = task.node.value[-1]
    while isinstance(last, (MappingNode, SequenceNode)) and not last.flow_style and last.value:
        last = last.value[-1][1] if isinstance(last, MappingNode) else last.value[-1]
    if not (isinstance(last, ScalarNode) and last.style in ("|", ">")):
        return None
    start = line_start(source.text, node_start(source, key))
    return None if source.text[start:node_start(source, key)].strip() else start


def _insertion(source: Source, at: int, text: str, style: Style) -> Edit:
    """Insert whole lines at a line start; at the end of a file without a final newline,
    the lines go after a new newline and the file still ends without one."""
    if at == len(source.text) and source.text and not source.text.endswith("\n"):
        text = style.newline + text.rstrip("\r\n")
    return Edit(at, at, text)


def replace_value(source: Source, task: Task, key: str, value: object, style: Style,
                  new_key: str | None = None) -> Edit:
    """Replace the value of an existing own key, block style (and the key, with new_key)."""
    entry = own_entry(task, key)
    assert entry is not None
    key_node, old = entry
    indent = key_indent(source, task)
    start = line_start(source.text, node_start(source, key_node))
    if source.text[start:node_start(source, key_node)].strip():
        raise FixRefused(f"'{key}' shares its line with other text; cannot rewrite it")
    end = line_end(source.text, content_end(source, old) - 1)
    text = emit_property(new_key or key, value, indent, style)
    if end == len(source.text) and not source.text.endswith("\n"):
        text = text.rstrip("\r\n")   # the file keeps ending without a newline
    return Edit(start, end, text)


def extend_sequence(source: Source, sequence: SequenceNode, items: list[str],
                    style: Style) -> Edit:
    """Append items to an existing block or flow sequence."""
    if not items:
        raise FixRefused("nothing to add")
    if sequence.flow_style or not sequence.value:
        from flowlint.remedies.yaml_text import quote_scalar

        kept = [source.text[node_start(source, item):content_end(source, item)]
                for item in sequence.value]
        joined = ", ".join(kept + [quote_scalar(item, style, in_flow=True) for item in items])
        start = node_start(source, sequence)
        end = source.offset(sequence.end_mark.line, sequence.end_mark.column)
        return Edit(start, end, f"[{joined}]")
    # The sequence's own marks, not its last item's: an alias item is written elsewhere.
    column = sequence.start_mark.column
    at = line_end(source.text, content_end(source, sequence) - 1)
    text = "".join(line + style.newline for line in emit_value_lines(items, column, style))
    return _insertion(source, at, text, style)


def set_mapping_key(source: Source, mapping: MappingNode, key: str, value: object,
                    style: Style) -> Edit:
    """Add `key: value` at the end of a block mapping (one that is not a task)."""
    if mapping.flow_style or not mapping.value:
        raise FixRefused("the mapping is in flow style; flowlint only edits block mappings")
    indent = mapping.value[0][0].start_mark.column
    at = line_end(source.text, content_end(source, mapping) - 1)
    return _insertion(source, at, emit_property(key, value, indent, style), style)


def wrap_in_list_item(source: Source, task: Task, wrapper: dict[str, object],
                      style: Style, inner_edits: list[Edit]) -> Edit:
    """Replace a task (a block sequence item) by a new task whose `tasks` holds it.

    `inner_edits` (other edits of the same task) are applied to the task's text first,
    since one edit cannot overlap another.
    """
    indent = key_indent(source, task)
    start_of_task = node_start(source, task.node)
    first_line_start = line_start(source.text, start_of_task)
    prefix = source.text[first_line_start:start_of_task]
    if prefix.strip() != "-" or not task.path.endswith("]"):
        raise FixRefused(f"task '{task.id}' is not an item of a block task list "
                         "(a Dag `task:` or a flow-style list); it cannot be wrapped")
    dash_column = prefix.index("-")
    end = line_end(source.text, content_end(source, task.node) - 1)
    original = apply_within(source.text, first_line_start, end, inner_edits)
    if _EXPLICIT_BLOCK_INDENT.search(original):
        raise FixRefused(f"task '{task.id}' has a block scalar with an explicit indentation "
                         "indicator; re-indenting it would change its value")
    ends_with_newline = original.endswith("\n")
    if not ends_with_newline:
        original += style.newline
    child_dash = indent + style.sequence_indent
    shifted = indent_text(original, child_dash - dash_column)
    header = emit_value_lines([wrapper], dash_column, style)
    text = "".join(line + style.newline for line in header)
    text += " " * indent + "tasks:" + style.newline + shifted
    if not ends_with_newline:
        text = text.rstrip("\r\n")
    return Edit(first_line_start, end, text)


def apply_within(text: str, start: int, end: int, edits: list[Edit]) -> str:
    """text[start:end] with edits (file offsets inside that region) applied, as
    findings.apply_edits applies them to a whole text."""
    if any(edit.start < start or edit.end > end for edit in edits):
        raise FixRefused("an edit of the task falls outside it")
    region = apply_edits(text[start:end], (Edit(edit.start - start, edit.end - start, edit.text)
                                           for edit in edits))
    if region is None:
        raise FixRefused("two edits of the task overlap")
    return region
