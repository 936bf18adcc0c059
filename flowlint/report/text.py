"""The `full` and `concise` text formats."""

from __future__ import annotations

from flowlint.lang.printable import visible
from flowlint.report.rows import Reported


def concise_line(row: Reported) -> str:
    """One line whatever the file holds: a line break in a path or a message is escaped."""
    return (f"{visible(row.path)}:{row.line}:{row.column}: {row.finding.rule} "
            f"{visible(row.finding.message)}")


def render_concise(rows: list[Reported]) -> str:
    return "".join(concise_line(row) + "\n" for row in rows)


def render_full(rows: list[Reported]) -> str:
    """Each finding with its source line and a caret under the column, ruff-style."""
    blocks = []
    for row in rows:
        gutter = f"{row.line} | "
        caret_width = 1
        if row.end_line == row.line:
            caret_width = max(1, row.end_column - row.column)
        fix_note = ""
        outcome = row.finding.fix_outcome
        if outcome is not None:
            fix_note = visible(f"  = fix ({outcome.strategy}): {outcome.title}"
                               if outcome.applicable
                               else f"  = no fix ({outcome.strategy}): {outcome.reason}")
        # One column a character, so the caret stays under it: a tab or a form feed is a space.
        text = "".join(char if char.isprintable() else " " for char in row.source_line)
        block = (f"{concise_line(row)}\n"
                 f"{gutter}{text}\n"
                 f"{' ' * len(gutter)}{' ' * (row.column - 1)}{'^' * caret_width}\n")
        if fix_note:
            block += fix_note + "\n"
        blocks.append(block)
    return "\n".join(blocks)
