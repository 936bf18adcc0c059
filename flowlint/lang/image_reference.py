"""Docker image references: `[registry[:port]/]path[:tag][@sha256:hex]`.

Whatever flowlint writes as an image (a Dockerfile's `FROM`, a fixed task's containerImage)
must be exactly one reference: a value copied from a flow file could otherwise carry a second
Dockerfile instruction, or name an image Docker refuses to pull. The grammar is Docker's
reference grammar (lowercase path components separated by `.`, `_`, `__` or dashes; a tag of
word characters, dots and dashes), with the digest limited to sha256.
"""

from __future__ import annotations

import re

# A registry host: DNS labels (letters, digits, inner '-') joined by '.', or an IPv6 address in
# brackets; then an optional port.
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_REGISTRY = rf"(?:{_HOST_LABEL}(?:\.{_HOST_LABEL})*|\[[0-9A-Fa-f:]+\])(?::[0-9]+)?"
# Path components are lowercase letters and digits, separated by '.', '_', '__' or dashes.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_PATH = rf"{_COMPONENT}(?:/{_COMPONENT})*"
_NAME = re.compile(rf"(?:{_REGISTRY}/)?{_PATH}")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_NAME_MAX = 255   # distribution's limit on the name, registry included


def image_reference_problem(text: str) -> str | None:
    """Why `text` is not a Docker image reference, or None when it is one."""
    if not text:
        return "it is empty"
    odd = next((char for char in text if not char.isprintable() or char.isspace()), None)
    if odd is not None:
        return f"it contains {odd!r}: a reference has no whitespace or control characters"
    rest, at, digest = text.partition("@")
    if at and not _DIGEST.fullmatch(digest):
        return f"digest '{digest}' is not 'sha256:' and 64 lowercase hex digits"
    name, tag = _split_tag(rest)
    if tag is not None and not _TAG.fullmatch(tag):
        return (f"tag '{tag}' is not a letter, digit or '_' followed by up to 127 of those, "
                "'.' or '-'")
    if len(name) > _NAME_MAX:
        return f"the name is longer than {_NAME_MAX} characters"
    if not _NAME.fullmatch(name):
        return (f"name '{name}' is not [registry[:port]/]path with lowercase path components "
                "(letters, digits, and '.', '_' or '-' between them)")
    return None


def is_image_reference(text: str) -> bool:
    return image_reference_problem(text) is None


def _split_tag(text: str) -> tuple[str, str | None]:
    """'reg:5000/app:1' -> ('reg:5000/app', '1'): a ':' after the last '/' starts the tag."""
    head, slash, last = text.rpartition("/")
    name, colon, tag = last.partition(":")
    return head + slash + name, tag if colon else None
