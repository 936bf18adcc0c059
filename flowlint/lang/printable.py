"""Making untrusted text safe to show on one line: in a message, a comment, a report."""

from __future__ import annotations


def visible(text: str) -> str:
    """`text` with every character that is not printable escaped repr-style (a newline as
    `\\n`): a value written into a comment or a message line cannot end that line."""
    if text.isprintable():   # nearly always: one pass in C
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
