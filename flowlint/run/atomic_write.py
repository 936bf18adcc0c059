"""Writing a fixed file so that a crash or a race never leaves it half-written."""

from __future__ import annotations

import os
import stat
import tempfile


class WriteError(Exception):
    """The file was not written; the message says why."""


def write_atomic(path: str, data: bytes, original: bytes) -> None:
    """Replace the file's content with `data` if it still holds `original`.

    The new bytes go to a temporary file in the same folder, flushed to disk, then renamed
    over the target: readers see the old file or the new one, never a mix. A symlink is
    written through to its target, so the link itself stays.
    """
    target = os.path.realpath(path)
    try:
        with open(target, "rb") as handle:
            current = handle.read()
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError as error:
        raise WriteError(f"cannot read it back before writing: {error.strerror}") from None
    if current != original:
        raise WriteError("it changed on disk while flowlint was fixing it; not written")
    folder, name = os.path.split(target)
    try:
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    except OSError as error:
        raise WriteError(f"cannot create a temporary file next to it: "
                         f"{error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except OSError as error:
        _remove_quietly(temporary)
        raise WriteError(f"cannot write it: {error.strerror or error}") from None
    except BaseException:
        _remove_quietly(temporary)
        raise


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
