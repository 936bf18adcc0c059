"""Reading the result cache's JSON without importing the `json` package.

`import json` costs a warm run about 2 ms (its modules compile six regular expressions),
as much as checking a hundred cached files. The decoding itself is CPython's C scanner
(`_json`), the one `json.loads` calls, so the values and the errors are json.loads's.
Where `_json` is missing (another Python), `json.loads` does the work.
"""

from __future__ import annotations

_WHITESPACE = " \t\n\r"   # what JSON allows around a value


class _Options:
    """What the C scanner reads from a JSONDecoder: json.loads's defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float   # float and int themselves: the scanner's own fast paths
    parse_int = int
    parse_constant = {"NaN": float("nan"), "Infinity": float("inf"),
                      "-Infinity": float("-inf")}.__getitem__


try:
    from _json import make_scanner as _make_scanner
except ImportError:   # not CPython
    _scan = None
else:
    _scan = _make_scanner(_Options())


def loads(text: str) -> object:
    """The value of the JSON document `text`, as json.loads gives it; ValueError when
    `text` is not one JSON value (with only whitespace around it)."""
    if _scan is None:
        import json

        return json.loads(text)
    start = len(text) - len(text.lstrip(_WHITESPACE))
    try:
        value, end = _scan(text, start)   # it forgets the keys it shared when it returns
    except RecursionError:
        raise
    except Exception:   # noqa: BLE001 - see below
        # Not JSON. StopIteration at the top; deeper, the scanner raises json.decoder's
        # JSONDecodeError, which it finds only if json.decoder is imported (else a
        # SystemError): json.loads, imported now, says what is wrong as it always does.
        import json

        return json.loads(text)
    if text[end:].strip(_WHITESPACE):
        raise ValueError("more than one JSON value")
    return value
