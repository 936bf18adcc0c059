"""Inline suppressions: `# flowlint: ignore[FL001] reason` and `# flowlint: ignore-file[FL001]`.

A suppression inside a task (on its `- id:` line, on its beforeCommands line, ...) covers the
findings of that task; one outside every task covers the findings that start on its line; an
`ignore-file` comment covers the whole file. Codes are required: a bare `flowlint: ignore`
would silence rules nobody thought about, so it is reported as malformed and suppresses nothing.
Suppressions that suppress nothing are reported as FL900 (flowlint.rules.fl900_unused_suppression).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from types import MappingProxyType

from ruamel.yaml.nodes import Node, ScalarNode

from flowlint.findings import Finding, Span
from flowlint.records import NamedTuple
from flowlint.source import Source
from flowlint.yamlnodes import node_span, walk_nodes

UNUSED_SUPPRESSION = "FL900"
_CANDIDATE = re.compile(r"#[ \t]*flowlint[ \t]*:")
_DIRECTIVE = re.compile(r"flowlint[ \t]*:[ \t]*(?P<word>[A-Za-z_-]*)")
_CODE = re.compile(r"^FL[0-9]{3}$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[,\s]+")
_USAGE = "write 'flowlint: ignore[FL001]' or 'flowlint: ignore-file[FL001]'"


class Suppression(NamedTuple):
    codes: frozenset[str]
    span: Span            # the comment, from its '#' to its last non-blank character
    file_level: bool
    line: int             # 1-based
    problem: str | None = None   # why a malformed comment suppresses nothing
    unused_codes: frozenset[str] = frozenset()
    in_script: bool = False      # a comment in a task's script: it covers its own line only


class SuppressionResult(NamedTuple):
    kept: list[Finding]
    suppressed: list[Finding]
    unused: list[Suppression]   # with unused_codes filled in


# Finding the comments


def find_suppressions(text: str, excluded_spans: Sequence[tuple[int, int]] = (),
                      script_spans: Sequence[tuple[int, int]] = (),
                      rules: RuleCodes | None = None) -> list[Suppression]:
    """The suppression comments of a file.

    `excluded_spans` are the (start, end) offsets of block-scalar content and multi-line quoted
    scalars (see `scalar_spans`): comment-like text there is data, such as a `#` in a shell
    script. Single-line quoted scalars are recognised here, on the comment's own line.
    `script_spans` are the block scalars that hold a task's script or commands: there a
    `# flowlint: ignore[...]` comment of the script's own language (`# noqa`-style) covers the
    findings that start on its line. `rules` gives the known codes and names, so that a rule
    name may be written for its code and an unknown code is reported.
    """
    excluded = sorted(excluded_spans)
    starts = [start for start, _ in excluded]
    scripts = sorted(script_spans)
    script_starts = [start for start, _ in scripts]
    found = []
    line, counted_to = 1, 0   # lines counted from the last comment on, not from the start
    for match in _CANDIDATE.finditer(text):
        at = match.start()
        if at > 0 and text[at - 1] not in " \t\r\n":
            continue  # 'a#flowlint:' is part of a scalar, not a comment
        in_script = _inside(scripts, script_starts, at)
        if _inside(excluded, starts, at) and not in_script:
            continue
        line_start = text.rfind("\n", 0, at) + 1
        if not _outside_quotes(text[line_start:at]):
            continue
        line_end = text.find("\n", at)
        line_end = len(text) if line_end < 0 else line_end
        comment = text[at:line_end].rstrip()
        line += text.count("\n", counted_to, at)
        counted_to = at
        suppression = _parse(comment, Span(at, at + len(comment)), line, rules)
        found.append(suppression._replace(in_script=True) if in_script else suppression)
    return found


class RuleCodes(NamedTuple):
    """The rules a suppression may name: their codes, and their names for those codes."""

    codes: frozenset[str]
    by_name: Mapping[str, str] = MappingProxyType({})


def _inside(excluded: list[tuple[int, int]], starts: list[int], offset: int) -> bool:
    # Scalars never overlap, so only the last span starting at or before the offset can hold it.
    index = bisect.bisect_right(starts, offset) - 1
    return index >= 0 and offset < excluded[index][1]


def _outside_quotes(before: str) -> bool:
    """Whether the end of `before` (the start of a line up to a '#') is outside quotes.

    A quote opens a scalar only where a scalar can start; in 'it's' it is a plain character.
    """
    quote = None
    index = 0
    while index < len(before):
        char = before[index]
        previous = before[index - 1] if index else " "
        if quote is None:
            if char == "#" and previous in " \t":
                return True  # an earlier comment: everything after it is comment text
            if char in "\"'" and previous in " \t[{,:":
                quote = char
        elif quote == '"' and char == "\\":
            index += 1
        elif char == quote:
            if quote == "'" and before[index + 1: index + 2] == "'":
                index += 1  # '' is an escaped quote inside a single-quoted scalar
            else:
                quote = None
        index += 1
    return quote is None


def _parse(comment: str, span: Span, line: int, rules: RuleCodes | None = None) -> Suppression:
    directive = _DIRECTIVE.search(comment)
    assert directive is not None  # the candidate pattern matched this comment
    word = directive.group("word")
    file_level = word == "ignore-file"
    if word not in ("ignore", "ignore-file"):
        return Suppression(frozenset(), span, False, line,
                           f"unknown directive 'flowlint: {word}'; {_USAGE}")
    tokens = _code_tokens(comment)
    if tokens is None:
        return Suppression(frozenset(), span, file_level, line,
                           f"'flowlint: {word}' names no codes; write 'flowlint: {word}[FL001]' "
                           "with the codes to suppress")
    if rules is not None:
        tokens = [rules.by_name.get(token.lower(), token) for token in tokens]
    wrong = [token for token in tokens if not _CODE.match(token)]
    if wrong:
        return Suppression(frozenset(), span, file_level, line,
                           f"'{wrong[0]}' is not a rule code like FL001 or a rule name"
                           f"{_suggestion(wrong[0], rules)}")
    unknown = [token.upper() for token in tokens
               if rules is not None and token.upper() not in rules.codes]
    if unknown:
        return Suppression(frozenset(), span, file_level, line,
                           f"'{unknown[0]}' is not a rule of flowlint"
                           f"{_suggestion(unknown[0], rules) or ' (see `flowlint rules`)'}")
    return Suppression(frozenset(token.upper() for token in tokens), span, file_level, line)


def _suggestion(token: str, rules: RuleCodes | None) -> str:
    """' (did you mean ...?)' for a misspelt code or name, as --select says it."""
    if rules is None:
        return ""
    from flowlint.catalogue import closest_choice

    close = closest_choice(token, [*sorted(rules.codes), *rules.by_name])
    return f" (did you mean '{close}'?)" if close else ""


def code_list_brackets(comment: str) -> tuple[int, int] | None:
    """Offsets of '[' and ']' right after the directive word, or None without a code list."""
    directive = _DIRECTIVE.search(comment)
    if directive is None:
        return None
    opening = directive.end()
    while opening < len(comment) and comment[opening] in " \t":
        opening += 1
    if not comment.startswith("[", opening):
        return None
    closing = comment.find("]", opening)
    return (opening, closing) if closing > 0 else None


def directive_start(comment: str) -> int:
    """Where `flowlint:` starts in a suppression comment (-1 when it has none)."""
    directive = _DIRECTIVE.search(comment)
    return directive.start() if directive else -1


def split_codes(text: str) -> list[str]:
    """The codes of a code list's inside, `FL001, FL003` or `FL001 FL003`, as written."""
    return [token for token in _SEPARATORS.split(text) if token]


def _code_tokens(comment: str) -> list[str] | None:
    """The codes between the brackets in written order, or None when there are none."""
    brackets = code_list_brackets(comment)
    if brackets is None:
        return None
    return split_codes(comment[brackets[0] + 1:brackets[1]]) or None


def scalar_spans(source: Source, documents: Iterable[Node]) -> list[tuple[int, int]]:
    """Where comment-like text is scalar content: block scalars (from the line after their
    `|` or `>` header, whose own comment is real) and quoted scalars spanning several lines."""
    spans = []
    for node in walk_nodes(documents, with_keys=True):
        if isinstance(node, ScalarNode) and node.start_mark.line != node.end_mark.line:
            span = node_span(source, node)
            if node.style in ("|", ">"):
                spans.append((source.offset(node.start_mark.line + 1, 0), span.end))
            elif node.style in ("'", '"'):
                spans.append((span.start, span.end))
    return sorted(spans)


def task_region(text: str, span: Span) -> Span:
    """A task's span without the blank and comment lines the parser counts at its end.

    A block mapping ends where the next item begins, so the comment above the next task's
    `- id:` line falls inside this task's span; a trailing comment indented less than the
    task's keys belongs to what follows, not to this task.
    """
    column = span.start - (text.rfind("\n", 0, span.start) + 1)
    lines = text[span.start:span.end].splitlines(keepends=True)
    while len(lines) > 1:
        content = lines[-1].strip()
        indent = len(lines[-1]) - len(lines[-1].lstrip(" \t"))
        if content and not (content.startswith("#") and indent < column):
            break
        lines.pop()
    return Span(span.start, span.start + sum(len(line) for line in lines))


# Applying them


def apply_suppressions(findings: Sequence[Finding], suppressions: Sequence[Suppression],
                       task_spans: Iterable[tuple[str, Span]], line_of: Callable[[int], int],
                       enabled: Collection[str] | None = None) -> SuppressionResult:
    """Split findings into kept and suppressed, and list the suppressions that did nothing.

    `task_spans` are (task id, span) pairs, preferably trimmed with `task_region`. A comment
    inside a task applies to the innermost task around it: to findings of that task id that
    start inside that span. Any comment also applies to findings starting on its own line.
    Codes outside `enabled` (rules not run on this file) are never called unused: whether they
    would match is unknown, and removing them would break the next run that enables them.
    """
    spans = list(task_spans)
    scopes = [None if suppression.file_level or suppression.in_script
              else _innermost(spans, suppression.span.start) for suppression in suppressions]
    used: list[set[str]] = [set() for _ in suppressions]
    kept, suppressed = [], []
    for finding in findings:
        line = line_of(finding.span.start)
        matched = False
        for index, suppression in enumerate(suppressions):
            if finding.rule in suppression.codes and _covers(suppression, scopes[index],
                                                               finding, line):
                used[index].add(finding.rule)
                matched = True
        (suppressed if matched else kept).append(finding)
    unused = []
    for suppression, codes in zip(suppressions, used):
        judged = {code for code in suppression.codes if code != UNUSED_SUPPRESSION
                  and (enabled is None or code in enabled)}
        idle = frozenset(judged - codes)
        if idle or suppression.problem:
            unused.append(suppression._replace(unused_codes=idle))
    return SuppressionResult(kept, suppressed, unused)


def _innermost(spans: list[tuple[str, Span]], offset: int) -> tuple[str, Span] | None:
    around = [(task_id, span) for task_id, span in spans if span.start <= offset < span.end]
    return min(around, key=lambda pair: pair[1].end - pair[1].start, default=None)


def _covers(suppression: Suppression, scope: tuple[str, Span] | None, finding: Finding,
            line: int) -> bool:
    if suppression.file_level or suppression.line == line:
        return True
    if scope is None:
        return False
    task_id, span = scope
    return finding.task_id == task_id and span.start <= finding.span.start < span.end


ReportUnused = Callable[[Iterable[Suppression], str], list[Finding]]


def apply_inline_suppressions(source: Source, documents: Iterable[Node],
                              tasks: Iterable[tuple[str, Span]], findings: Sequence[Finding],
                              enabled: Collection[str] | None = None,
                              report_unused: ReportUnused | None = None,
                              script_spans: Sequence[tuple[int, int]] = (),
                              rules: RuleCodes | None = None) -> SuppressionResult:
    """Everything for one file: find the comments, apply them, and add the findings that
    `report_unused` (FL900's) makes of the unused ones to `kept`.

    `documents` are the composed YAML documents and `tasks` (task id, Task.span) pairs;
    `script_spans` and `rules` as for find_suppressions.
    """
    if "flowlint" not in source.text:  # nearly every file: skip walking the nodes
        return SuppressionResult(list(findings), [], [])
    suppressions = find_suppressions(source.text, scalar_spans(source, documents),
                                     script_spans, rules)
    if not suppressions:
        return SuppressionResult(list(findings), [], [])
    regions = [(task_id, task_region(source.text, span)) for task_id, span in tasks]

    def line_of(offset: int) -> int:
        return source.position(offset)[0]

    result = apply_suppressions(findings, suppressions, regions, line_of, enabled)
    if report_unused is None:
        return result
    reported = report_unused(result.unused, source.text)
    # An FL900 finding can itself be suppressed (`ignore-file[FL900]` keeps stale comments).
    second = apply_suppressions(reported, suppressions, regions, line_of, enabled)
    kept = sorted([*result.kept, *second.kept], key=lambda item: (item.span.start, item.rule))
    return SuppressionResult(kept, [*result.suppressed, *second.suppressed], result.unused)
