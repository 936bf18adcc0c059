"""Bytes to text: the decoded flow file with its encoding details and a line index."""

from __future__ import annotations

import bisect
import codecs
import re
from array import array

from flowlint.records import Record

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
_LINE_BREAK = re.compile(r"\r\n?|\n")


class SourceError(Exception):
    """A file that cannot be read as a flow: the message says why, for that file only."""


class Source(Record):
    """A decoded flow file: its text, whether it began with a BOM, its line ending, and
    where each line starts."""

    _fields = ("path", "text", "bom", "newline", "line_starts")
    __slots__ = (*_fields, "__weakref__")   # caches keyed by a source hold it weakly
    _compared = _fields[:-1]   # the line starts follow from the text

    def __init__(self, path: str, text: str, bom: bool = False, newline: str = "\n",
                 line_starts: array | None = None) -> None:
        self.path = path
        self.text = text
        self.bom = bom
        self.newline = newline
        # An array, not a tuple: 8 bytes a line instead of 36, which counts when a run keeps
        # the sources of thousands of files with findings for the report.
        self.line_starts = array("q", [0]) if line_starts is None else line_starts

    @classmethod
    def from_text(cls, path: str, text: str, bom: bool = False) -> Source:
        """Lines end as YAML ends them (and as ruamel counts them): LF, CRLF or a lone CR."""
        starts = array("q", [0])
        if "\r" in text:
            newline = "\r\n" if "\r\n" in text else "\r" if "\n" not in text else "\n"
            starts.extend(match.end() for match in _LINE_BREAK.finditer(text))
            return cls(path, text, bom, newline, starts)
        find = text.find
        index = find("\n")
        while index >= 0:
            starts.append(index + 1)
            index = find("\n", index + 1)
        return cls(path, text, bom, "\n", starts)

    def offset(self, line0: int, column0: int) -> int:
        """Offset of a 0-based line and column, clamped to the text."""
        if line0 >= len(self.line_starts):
            return len(self.text)
        return min(self.line_starts[line0] + column0, len(self.text))

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and column of an offset."""
        line0 = bisect.bisect_right(self.line_starts, offset) - 1
        return line0 + 1, offset - self.line_starts[line0] + 1

    def line_text(self, line1: int) -> str:
        start = self.line_starts[line1 - 1]
        end = self.line_starts[line1] if line1 < len(self.line_starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    def encode(self, text: str) -> bytes:
        """Bytes of a new text written the way this file was: same BOM, UTF-8."""
        data = text.encode("utf-8")
        return codecs.BOM_UTF8 + data if self.bom else data


def too_large(size: int | None, max_bytes: int) -> str:
    """Why a file over the limit is not read; `size` None when it is not known (a pipe
    read only up to the limit)."""
    if size is None:
        return f"file is over the limit of {max_bytes:,} bytes (--max-file-size)"
    return f"file is {size:,} bytes, over the limit of {max_bytes:,} (--max-file-size)"


def decode(data: bytes, path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Source:
    if len(data) > max_bytes:
        raise SourceError(too_large(len(data), max_bytes))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE)):
        raise SourceError("file is UTF-16 or UTF-32; Kestra flows are UTF-8: re-save it as UTF-8")
    bom = data.startswith(codecs.BOM_UTF8)
    if bom:
        data = data[len(codecs.BOM_UTF8):]
    if b"\x00" in data:
        raise SourceError("file holds NUL bytes: it is binary, not a YAML flow")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SourceError(
            f"not valid UTF-8: byte 0x{data[error.start]:02x} at offset {error.start}"
        ) from None
    return Source.from_text(path, text, bom)
