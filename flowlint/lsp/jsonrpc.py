"""JSON-RPC 2.0 over stdio with LSP's Content-Length framing.

Written here rather than taken from pygls: importing lsprotocol's types alone takes 0.5 to 1 s
on the reference machine, twice the budget for the first diagnostics after start; the server
needs a dozen methods, and plain dicts serve them.
"""

from __future__ import annotations

import json

from flowlint.records import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import BinaryIO

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_NOT_INITIALIZED = -32002
REQUEST_FAILED = -32803

# A header block or body this large is not an editor talking: refuse it rather than read it.
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 256 * 1024 * 1024


class ProtocolError(Exception):
    """The byte stream cannot be read as LSP messages any more: the connection is over."""


def read_message(stream: BinaryIO) -> dict | str | None:
    """The next message: a dict, the raw text of a body that is not a JSON object (the
    caller answers it with a parse error), or None at the end of the stream."""
    length = None
    header_bytes = 0
    while True:
        line = stream.readline(MAX_HEADER_BYTES)
        if not line:
            return None
        header_bytes += len(line)
        if header_bytes > MAX_HEADER_BYTES:
            raise ProtocolError("header block too large")
        if line in (b"\r\n", b"\n"):
            if length is not None:
                break
            continue   # a stray blank line before the headers
        name, _, value = line.decode("ascii", "replace").partition(":")
        if name.strip().lower() == "content-length":
            try:
                length = int(value.strip())
            except ValueError:
                raise ProtocolError(f"bad Content-Length: {value.strip()!r}") from None
    if not 0 <= length <= MAX_BODY_BYTES:
        raise ProtocolError(f"Content-Length {length} out of range")
    body = stream.read(length)
    if len(body) < length:
        return None
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body.decode("utf-8", "replace")
    return message if isinstance(message, dict) else body.decode("utf-8", "replace")


def encode_message(message: dict) -> bytes:
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def response(request_id: object, result: object) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def error_response(request_id: object, code: int, message: str) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def notification(method: str, params: object) -> dict:
    return {"jsonrpc": "2.0", "method": method, "params": params}


def request(request_id: int, method: str, params: object) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
