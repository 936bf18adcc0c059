"""Cutting or replacing install commands inside the shell strings of a task."""

from __future__ import annotations

import re
from collections import defaultdict

from ruamel.yaml.nodes import ScalarNode, SequenceNode

from flowlint.findings import Edit, FixRefused, require
from flowlint.kestra.flow import Task
from flowlint.kestra.task_shell import CommandText, LocatedInstall
from flowlint.lang import shell
from flowlint.lang.installs import find_installs
from flowlint.records import NamedTuple
from flowlint.remedies.yaml_text import (
    Style,
    content_end,
    line_end,
    line_start,
    literal_block_text,
    node_start,
    quote_scalar,
)
from flowlint.source import Source

_CUTTABLE = ("&&", ";", "\n", "")
_LIST_JOINTS = ("&&", "||", "|")


class Guarded(NamedTuple):
    """An install rewritten inside a command list: `before` + the install + `after`, as a
    cached install is (`... || { rm -rf deps && pip install ... && printf ...; }`).

    The install keeps its assignments, wrappers and redirections (`sudo` still applies to pip,
    not to the test before it), and the whole is grouped in `{ ...; }` when the command is
    joined to others by `&&`, `||` or `|`, so `cd x && pip install y` becomes
    `cd x && { ... }` and nothing runs after a failed `cd` that did not before.
    """

    before: str   # commands that run first, ending in an operator (`&& `, `|| { `)
    words: str    # the new program and arguments, in place of the old ones
    after: str    # what follows the install (` && printf ...; }`)


# A `|` header with an indentation indicator (after any anchor or tag): `|2`, `|-2`, `|2+`.
_EXPLICIT_INDENT = re.compile(r"(?:[&!][^ \t\r\n]*[ \t]+)*\|(?:[+-]?[1-9]|[1-9][+-])")


Replacement = str | Guarded | None


def rewrite_installs(source: Source, task: Task, replacements: dict[LocatedInstall, Replacement],
                     style: Style) -> list[Edit]:
    """Edits that replace each install's words by new text (its assignments, wrappers and
    redirections stay), rewrite it behind a guard, or cut it when None."""
    by_command: dict[CommandText, list[tuple[LocatedInstall, Replacement]]] = defaultdict(list)
    for located, new_text in replacements.items():
        if located.command.origin != "task":
            raise FixRefused(f"the install in {located.command.field} comes from pluginDefaults; "
                             "fix it there")
        by_command[located.command].append((located, new_text))
    edits: list[Edit] = []
    emptied: dict[str, list[CommandText]] = defaultdict(list)
    # Items rewritten inside a flow list: removing other items re-joins the whole list,
    # so that one edit carries their new text too (two edits may not overlap).
    rewritten_in_flow: dict[str, dict[int, Edit]] = defaultdict(dict)
    for command, changes in by_command.items():
        value = _new_value(command.node.value, changes)
        if value.strip():
            in_flow = in_flow_context(task, command)
            edit = scalar_edit(source, command.node, value, style, in_flow)
            if in_flow and command.index is not None:
                rewritten_in_flow[command.field][command.index] = edit
            edits.append(edit)
        elif command.index is None:
            raise FixRefused(f"removing the install would leave {command.field} empty")
        else:
            emptied[command.field].append(command)
    for field_name, commands in emptied.items():
        rewritten = rewritten_in_flow.get(field_name, {})
        edits = [edit for edit in edits if edit not in rewritten.values()]
        edits.extend(_remove_items(source, task, field_name, commands,
                                   {index: edit.text for index, edit in rewritten.items()}))
    return edits


def in_flow_context(task: Task, command: CommandText) -> bool:
    """Whether the command is inside `[...]` or `{...}` (an item of a flow list, or a value
    of a task written in flow style), where , [ ] { } end a plain scalar."""
    container = task.prop(command.field)
    return bool(task.node.flow_style) or (isinstance(container, SequenceNode)
                                          and bool(container.flow_style))


def _new_value(value: str, changes: list[tuple[LocatedInstall, Replacement]]) -> str:
    commands = shell.split_commands(value)
    first: dict[shell.SimpleCommand, int] = {}   # commands.index, once for all the changes
    for position, command in enumerate(commands):
        first.setdefault(command, position)
    cut = {first[located.install.command] for located, new in changes if new is None}
    spans = []
    for located, new_text in changes:
        index = first[located.install.command]
        if new_text is None:
            _require_removable(value, commands, index, cut)
            spans.append((*_cut_span(value, commands, index), ""))
        elif isinstance(new_text, Guarded):
            spans.append(_guarded_span(value, commands[index], new_text))
        else:
            # Replace the words only: assignments, sudo and redirects around them stay.
            words = located.install.command.words
            spans.append((words[0].start, words[-1].end, new_text))
    pieces, kept_from = [], 0
    for start, end, text in _merged(spans):
        pieces += [value[kept_from:start], text]
        kept_from = end
    return "".join([*pieces, value[kept_from:]])


def _merged(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The spans in order, cuts that overlap joined into one (cutting `a && b && c` whole
    takes each command with a joint it shares with the next); a rewrite may not overlap."""
    merged: list[tuple[int, int, str]] = []
    for start, end, text in sorted(spans):
        if merged and start < merged[-1][1]:
            last_start, last_end, last_text = merged[-1]
            if text or last_text:
                raise FixRefused("two changes of one command line overlap")
            merged[-1] = (last_start, max(last_end, end), "")
        else:
            merged.append((start, end, text))
    return merged


def _guarded_span(value: str, command: shell.SimpleCommand,
                  rewrite: Guarded) -> tuple[int, int, str]:
    words = command.words
    require(not command.negated, f"'{_text(value, command)}' is negated with `!`; guarding it "
            "would change what the `!` applies to")
    new = (f"{rewrite.before}{value[command.start:words[0].start]}{rewrite.words}"
           f"{value[words[-1].end:command.end]}{rewrite.after}")
    if command.separator_before in _LIST_JOINTS or command.separator_after in _LIST_JOINTS:
        new = "{ " + new + "; }"
    return command.start, command.end, new


def _require_removable(value: str, commands: list[shell.SimpleCommand], index: int,
                       cut: set[int]) -> None:
    """Refuse to cut an install when the rest of the command line would mean something else:
    what runs, when it runs, and with which environment, must not change. An install that
    runs only after another one (`pip install a && pip install b`, `apt-get update && ...`)
    may go when that one goes too, or is an install itself."""
    command = commands[index]
    quoted = f"'{_text(value, command)}'"
    require(not command.negated, f"{quoted} is negated with `!`: cutting it would change "
            "what runs next")
    require(not command.nested, f"{quoted} sits inside an if, loop, case or group: cutting "
            "it would change that block; move the install out of it by hand")
    assignments = " ".join(word.text for word in command.assignments)
    require(not assignments, f"{quoted} runs with {assignments} set, which the packages' "
            "new home would not get; move the setting over by hand")
    require(command.separator_before not in ("||", "|") and command.separator_after
            not in ("||", "|", "&"), f"{quoted} is joined to other commands by "
            f"'{command.separator_before or command.separator_after}': cutting it would "
            "change what runs")
    if command.separator_before == "&&" and index > 0:
        previous = commands[index - 1]
        require(index - 1 in cut or bool(find_installs(value[previous.start:previous.end])),
                f"{quoted} runs only when '{_text(value, previous)}' succeeds: moved out of "
                "the command line, the packages would be installed even when it fails")


def _text(value: str, command: shell.SimpleCommand) -> str:
    return " ".join(value[command.start:command.end].split())


def _cut_span(value: str, commands: list[shell.SimpleCommand], index: int) -> tuple[int, int]:
    """The text to delete with a command so the rest of the shell string still reads right."""
    command = commands[index]
    before = value[line_start(value, command.start):command.start]
    after_end = line_end(value, max(command.end - 1, command.start))
    after = value[command.end:after_end]
    # A trailing comment belongs to the line it ends, so it goes with the command.
    if not before.strip() and (not after.strip() or after.strip().startswith("#")) \
            and command.separator_after in _CUTTABLE \
            and command.separator_before in _CUTTABLE:
        return line_start(value, command.start), after_end
    following = commands[index + 1] if index + 1 < len(commands) else None
    if command.separator_after in ("&&", ";") and following is not None:
        return command.start, following.start
    previous = commands[index - 1] if index > 0 else None
    if command.separator_before in ("&&", ";") and previous is not None:
        return previous.end, command.end
    joint = command.separator_after or command.separator_before
    joint = "a line break" if joint == "\n" else f"'{joint}'"
    raise FixRefused(f"the install '{value[command.start:command.end]}' is joined to other "
                     f"commands by {joint}; removing it would change what runs")


def scalar_edit(source: Source, node: ScalarNode, value: str, style: Style,
                 in_flow: bool = False) -> Edit:
    if node.style == "|":
        return _literal_block_edit(source, node, value, style)
    if node.style == ">" or "\n" in value.strip("\n"):
        raise FixRefused("the command is in a folded or multi-line scalar that flowlint "
                         "does not rewrite")
    start = node_start(source, node)
    end = source.offset(node.end_mark.line, node.end_mark.column)
    prefer = node.style if node.style in ("'", '"') else None
    return Edit(start, end, quote_scalar(value.strip(), style, prefer, in_flow))


def _literal_block_edit(source: Source, node: ScalarNode, value: str, style: Style) -> Edit:
    """Rewrite a `|` block's content lines; its header and indentation stay."""
    from flowlint.yamlnodes import block_content_lines

    if _EXPLICIT_INDENT.match(source.text, node_start(source, node)):
        raise FixRefused("the command sits in a block scalar with an indentation indicator "
                         "that flowlint does not rewrite")
    first_line, indent = block_content_lines(source, node)
    start = source.line_starts[first_line]
    end = line_end(source.text, content_end(source, node) - 1)
    return Edit(start, end, literal_block_text(value, indent, style.newline))


def _remove_items(source: Source, task: Task, field_name: str, commands: list[CommandText],
                  rewritten: dict[int, str]) -> list[Edit]:
    sequence = task.prop(field_name)
    assert isinstance(sequence, SequenceNode)
    if len(commands) == len(sequence.value):
        # Kestra requires `commands` (a Commands task without it does not validate).
        if field_name == "commands":
            raise FixRefused("removing the install would leave `commands` empty, and a "
                             "Commands task needs a command to run")
        return [remove_property(source, task, field_name)]
    if sequence.flow_style:
        return [_remove_flow_items(source, sequence, {c.index for c in commands}, rewritten)]
    return [_remove_block_item(source, sequence.value[c.index]) for c in commands]


def _remove_block_item(source: Source, item: ScalarNode) -> Edit:
    start = line_start(source.text, node_start(source, item))
    return Edit(start, line_end(source.text, content_end(source, item) - 1), "")


def _remove_flow_items(source: Source, sequence: SequenceNode, drop: set[int],
                       rewritten: dict[int, str]) -> Edit:
    """Re-join a flow sequence `[a, b, c]` without some items, keeping each item's text
    (or its new text, for the items rewritten)."""
    kept = [rewritten.get(index, source.text[node_start(source, item):content_end(source, item)])
            for index, item in enumerate(sequence.value) if index not in drop]
    start = node_start(source, sequence)
    end = source.offset(sequence.end_mark.line, sequence.end_mark.column)
    return Edit(start, end, "[" + ", ".join(kept) + "]")


def remove_property(source: Source, task: Task, key: str) -> Edit:
    """Delete `key: value` (all its lines) from the task's own mapping."""
    for key_node, value in task.node.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            key_start = node_start(source, key_node)
            start = line_start(source.text, key_start)
            if source.text[start:key_start].strip():
                raise FixRefused(f"'{key}' shares its line with other text; cannot remove it")
            return Edit(start, line_end(source.text, content_end(source, value) - 1), "")
    raise FixRefused(f"'{key}' is not written on task '{task.id}'")
