"""The `full` and `concise` text formats."""

from __future__ import annotations

from flowlint.lang.printable import visible
from flowlint.report.rows import Reported
from flowlint.report.style import PLAIN, Style

SAFE_MARKER, UNSAFE_MARKER = "[*]", "[-]"


def concise_line(row: Reported, style: Style = PLAIN, marker: str = "") -> str:
    """One line whatever the file holds: a line break in a path or a message is escaped."""
    code = style.rule_code(row.finding.rule, row.name, row.severity)
    return (f"{style.bold(visible(row.path))}:{row.line}:{row.column}: {code} "
            f"{marker + ' ' if marker else ''}{visible(row.finding.message)}")


def render_concise(rows: list[Reported], style: Style = PLAIN) -> str:
    return "".join(concise_line(row, style) + "\n" for row in rows)


def fix_marker(row: Reported) -> str:
    """`[*]` when --fix applies the fix, `[-]` when only --unsafe-fixes does (as in ruff)."""
    kind = row.fix_kind
    return "" if kind is None else SAFE_MARKER if kind == "safe" else UNSAFE_MARKER


def _window(line: str, start: int) -> tuple[str, int]:
    """The line as shown, and where the finding starting at index `start` stands in it: the
    whole line, or LONGEST_QUOTE characters around the finding, cut ends marked with `…`."""
    if len(line) <= LONGEST_QUOTE:
        return line, start
    first = max(0, min(start - _CONTEXT, len(line) - LONGEST_QUOTE))
    last = first + LONGEST_QUOTE
    shown = (_CUT if first else "") + line[first:last] + (_CUT if last < len(line) else "")
    return shown, start - first + (1 if first else 0)


def render_full(rows: list[Reported], style: Style = PLAIN) -> str:
    """Each finding with its source line, a caret under the span, what to do and the fix,
    ruff-style."""
    return "\n".join(_full_block(row, style) for row in rows)


# A quoted line longer than this is shown as a window around the finding: a one-line flow
# (JSON-style YAML) would otherwise be printed whole under each of its findings.
LONGEST_QUOTE = 200
_CONTEXT = 60   # characters shown before the finding in a window
_CUT = "…"


def _full_block(row: Reported, style: Style) -> str:
    gutter = f"{row.line} | "
    # A span over several lines is underlined to the end of its first line, as ruff does.
    end_column = row.end_column if row.end_line == row.line else len(row.source_line) + 1
    text, offset = _window(row.source_line, row.column - 1)
    caret_width = max(1, min(end_column - row.column, len(text) - offset))
    # One column a character, so the caret stays under it: a tab or a form feed is a space.
    if not text.isprintable():
        text = "".join(char if char.isprintable() else " " for char in text)
    caret = style.severity("^" * caret_width, row.severity)
    lines = [concise_line(row, style, fix_marker(row)),
             f"{style.dim(gutter)}{text}",
             f"{' ' * len(gutter)}{' ' * offset}{caret}"]
    if row.finding.help:
        lines.append(f"  = {style.help('help')}: {visible(row.finding.help)}")
    outcome = row.finding.fix_outcome
    if outcome is not None:
        lines.append(visible(f"  = fix ({outcome.strategy}): {outcome.title}"
                             if outcome.applicable
                             else f"  = no fix ({outcome.strategy}): {outcome.reason}"))
    return "".join(line + "\n" for line in lines)
