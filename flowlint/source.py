"""Bytes to text: the decoded flow file with its encoding details and a line index."""

from __future__ import annotations

import bisect
import codecs
import re
from array import array
from itertools import accumulate

from flowlint.records import Record

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# Compiled on first use (re keeps it): only a file with a carriage return needs it.
_LINE_BREAK = r"\r\n?|\n"
# Positions a source answers by counting line breaks before it builds its line index.
_COUNTED = 24


class SourceError(Exception):
    """A file that cannot be read as a flow: the message says why, for that file only."""


class Source(Record):
    """A decoded flow file: its text, whether it began with a BOM, its line ending, and
    where each line starts."""

    _fields = ("path", "text", "bom", "newline", "line_starts")
    # Caches keyed by a source hold it weakly (__weakref__).
    __slots__ = ("path", "text", "bom", "newline", "_line_starts", "_plain", "_lookups",
                 "__weakref__")
    _compared = _fields[:-1]   # the line starts follow from the text

    def __init__(self, path: str, text: str, bom: bool = False, newline: str = "\n",
                 line_starts: array | None = None) -> None:
        self.path = path
        self.text = text
        self.bom = bom
        self.newline = newline
        self._line_starts = line_starts   # None: built when first needed
        self._plain = "\r" not in text      # lines end with LF alone
        self._lookups = 0

    @classmethod
    def from_text(cls, path: str, text: str, bom: bool = False) -> Source:
        """Lines end as YAML ends them (and as ruamel counts them): LF, CRLF or a lone CR."""
        newline = "\n"
        if "\r" in text:
            newline = "\r\n" if "\r\n" in text else "\r" if "\n" not in text else "\n"
        return cls(path, text, bom, newline)

    @property
    def line_starts(self) -> array:
        """Where each line starts. An array, not a tuple: 8 bytes a line instead of 36, which
        counts when a run keeps the sources of thousands of files with findings."""
        if self._line_starts is None:
            self._line_starts = _line_index(self.text, self._plain)
        return self._line_starts

    def offset(self, line0: int, column0: int) -> int:
        """Offset of a 0-based line and column, clamped to the text."""
        starts, length = self.line_starts, len(self.text)
        if line0 >= len(starts):
            return length
        return min(starts[line0] + column0, length)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and column of an offset."""
        if self._counted():
            text = self.text
            return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)
        line0 = bisect.bisect_right(self.line_starts, offset) - 1
        return line0 + 1, offset - self.line_starts[line0] + 1

    def line_text(self, line1: int) -> str:
        start = self.line_starts[line1 - 1]
        end = self.line_starts[line1] if line1 < len(self.line_starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    def line_at(self, offset: int) -> str:
        """The text of the line that holds `offset`, without its line break."""
        if self._counted():
            text = self.text
            end = text.find("\n", offset)
            return text[text.rfind("\n", 0, offset) + 1:end if end >= 0 else len(text)]
        return self.line_text(self.position(offset)[0])

    def _counted(self) -> bool:
        """Whether to answer from the text itself, without the line index: a source read
        back from the result cache is asked about a few findings, and building the index
        of every line cost more than the report of them. Past a few questions (or with CR
        line ends) the index is built."""
        if self._line_starts is not None or not self._plain or self._lookups >= _COUNTED:
            return False
        self._lookups += 1
        return True

    def encode(self, text: str) -> bytes:
        """Bytes of a new text written the way this file was: same BOM, UTF-8."""
        data = text.encode("utf-8")
        return codecs.BOM_UTF8 + data if self.bom else data


def _line_index(text: str, plain: bool) -> array:
    starts = array("q", [0])
    if not plain:
        starts.extend(match.end() for match in re.finditer(_LINE_BREAK, text))
        return starts
    # A line starts after each line break: one split and a running sum, a third faster
    # than a find() loop.
    lines = text.split("\n")
    lines.pop()   # what follows the last break starts no further line
    starts.extend(accumulate(len(line) + 1 for line in lines))
    return starts


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
