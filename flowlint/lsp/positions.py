"""Character offsets (what flowlint computes) to LSP positions and back.

LSP columns count code units of the negotiated encoding: UTF-16 unless the client offered
another, UTF-8 for Neovim and Helix. A column counted in characters would point past the
finding on any line with non-ASCII text before it.
"""

from __future__ import annotations

import bisect

from flowlint.source import Source

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"
SUPPORTED = (UTF8, UTF16, UTF32)


def choose_encoding(offered: object) -> str:
    """The first encoding the client offers that we speak; UTF-16 when it offers none (the
    LSP default, which every client must support)."""
    if isinstance(offered, list):
        for encoding in offered:
            if encoding in SUPPORTED:
                return encoding
    return UTF16


def units(text: str, encoding: str) -> int:
    """Length of `text` in code units of `encoding`."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8"))
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def position(source: Source, offset: int, encoding: str) -> dict[str, int]:
    """The LSP position of a character offset into source.text."""
    offset = max(0, min(offset, len(source.text)))
    line0 = bisect.bisect_right(source.line_starts, offset) - 1
    start = source.line_starts[line0]
    return {"line": line0, "character": units(source.text[start:offset], encoding)}


def lsp_range(source: Source, start: int, end: int, encoding: str) -> dict[str, dict]:
    return {"start": position(source, start, encoding), "end": position(source, end, encoding)}


def offset(source: Source, where: dict, encoding: str) -> int:
    """The character offset of an LSP position; a column past the end of its line (or a
    position inside a surrogate pair or UTF-8 sequence) lands on the nearest character."""
    line0 = int(where.get("line", 0))
    wanted = int(where.get("character", 0))
    if line0 < 0:
        return 0
    if line0 >= len(source.line_starts):
        return len(source.text)
    start = source.line_starts[line0]
    end = source.line_starts[line0 + 1] if line0 + 1 < len(source.line_starts) \
        else len(source.text)
    line = source.text[start:end].rstrip("\r\n")
    if encoding == UTF32 or line.isascii():
        return start + max(0, min(wanted, len(line)))
    counted = 0
    for index, char in enumerate(line):
        if counted >= wanted:
            return start + index
        counted += units(char, encoding)
    return start + len(line)
