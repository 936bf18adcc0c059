"""Writing a fixed file so that a crash, a race or a competing flowlint never loses a write.

- The new bytes go to a temporary file in the file's folder, flushed to disk, then renamed
  over the file: readers see the old file or the new one, never a mix.
- At rename time the file must still hold the bytes flowlint read. Competing flowlint
  processes take an advisory lock (`fcntl.flock`) on the file itself for the last comparison
  and the rename, so of two runs that read the same bytes only the first writes; the other
  reports the file as changed on disk. Locking the file itself leaves nothing behind (a lock
  file beside it would have to be removed, which races with the next locker). The lock is
  taken on an open descriptor of the file, and the rename replaces the file by another
  inode: a locker that waited on the old inode sees that the name now points elsewhere and
  locks again. Writers that take no lock (editors) are caught by the comparison, short of
  the instant between it and the rename. Without fcntl (Windows) the comparison is done
  without the lock.
- Temporary files are named `.<name>.flowlint-<pid>.<random>.tmp`. A process killed between
  creating one and renaming it leaves it behind; `remove_stale_temporaries` (run before
  every `--fix`) removes those whose process is gone.
- The file keeps its mode and, where the process may set them, its owner and group. A file
  with several hard links (the rename would split them) or read-only for its owner is not
  written. A symlink is written through to its target, so the link itself stays.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

try:
    import fcntl
except ImportError:   # Windows: the comparison without the lock
    fcntl = None  # type: ignore[assignment]

TEMPORARY = re.compile(r"^\..+\.flowlint-(\d+)\.[A-Za-z0-9_]+\.tmp$")
CHANGED = "it changed on disk since it was read"
STOPPED = "the flowlint run that fixed it was stopped"

# Called with the target's path once the temporary file is on disk, just before the lock is
# taken for the last comparison and the rename (tests change the file here).
before_commit: Callable[[str], None] | None = None


class WriteError(Exception):
    """The file was not written; the message says why."""


def write_atomic(path: str, data: bytes, original: bytes,
                 may_write: Callable[[], bool] | None = None) -> None:
    """Replace the file's content with `data` if it still holds `original`.

    `may_write` is asked before anything is written and again before the rename; when it
    answers False (a worker whose parent is gone) nothing is written.
    """
    target = os.path.realpath(path)
    try:
        info = os.stat(target)
        current = _read(target)
    except OSError as error:
        raise WriteError(f"cannot read it back before writing: {error.strerror}") from None
    _refuse(info)
    if current != original:
        raise WriteError(CHANGED)
    if may_write is not None and not may_write():
        raise WriteError(STOPPED)
    temporary = _write_temporary(target, data, info)
    try:
        if before_commit is not None:
            before_commit(target)
        with _locked(target) as held:
            # Under the lock no other flowlint can write the file: what is on disk now is
            # what the rename replaces.
            _refuse(held)
            if _read(target) != original:
                raise WriteError(CHANGED)
            if may_write is not None and not may_write():
                raise WriteError(STOPPED)
            os.replace(temporary, target)
    except OSError as error:
        _remove_quietly(temporary)
        raise WriteError(f"cannot write it: {error.strerror or error}") from None
    except BaseException:
        _remove_quietly(temporary)
        raise


def _refuse(info: os.stat_result) -> None:
    """Files flowlint does not replace, whatever their content."""
    if not stat.S_ISREG(info.st_mode):
        raise WriteError("it is no longer a regular file")
    if info.st_nlink > 1:
        raise WriteError(f"it has {info.st_nlink} hard links, which writing would split "
                         "(flowlint writes a new file and renames it over the old one)")
    if not info.st_mode & stat.S_IWUSR:
        raise WriteError(f"it is read-only (mode {stat.S_IMODE(info.st_mode):04o})")


def _read(target: str) -> bytes:
    # O_NONBLOCK: a FIFO put in the file's place must not hang the run.
    descriptor = os.open(target, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                         | getattr(os, "O_BINARY", 0))
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise WriteError("it is no longer a regular file")
        return handle.read()


def _write_temporary(target: str, data: bytes, info: os.stat_result) -> str:
    folder, name = os.path.split(target)
    try:
        descriptor, temporary = tempfile.mkstemp(
            dir=folder, prefix=f".{name[:200]}.flowlint-{os.getpid()}.", suffix=".tmp")
    except OSError as error:
        raise WriteError(f"cannot create a temporary file next to it: "
                         f"{error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            _keep_owner(handle.fileno(), info)
            # After chown, which may clear set-id bits.
            _chmod(handle.fileno(), temporary, stat.S_IMODE(info.st_mode))
            os.fsync(handle.fileno())
    except OSError as error:
        _remove_quietly(temporary)
        raise WriteError(f"cannot write it: {error.strerror or error}") from None
    except BaseException:
        _remove_quietly(temporary)
        raise
    return temporary


def _keep_owner(descriptor: int, info: os.stat_result) -> None:
    """The owner and group of the file, where this process may give them (root may; an
    owner may keep a group it belongs to); otherwise the writer's."""
    if not hasattr(os, "fchown"):
        return
    mine = os.fstat(descriptor)
    if (mine.st_uid, mine.st_gid) == (info.st_uid, info.st_gid):
        return
    for uid in (info.st_uid, -1):
        try:
            os.fchown(descriptor, uid, info.st_gid)
            return
        except PermissionError:
            continue
        except OSError:   # a file system without owners
            return


def _chmod(descriptor: int, path: str, mode: int) -> None:
    if os.chmod in os.supports_fd:
        os.chmod(descriptor, mode)
    else:
        os.chmod(path, mode)


@contextmanager
def _locked(target: str) -> Iterator[os.stat_result]:
    """Hold the lock competing flowlint processes take on the file; yields its stat."""
    if fcntl is None:
        yield os.stat(target)
        return
    for _ in range(100):
        descriptor = os.open(target, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            held, now = os.fstat(descriptor), os.stat(target)
            if (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino):
                yield now
                return
        finally:
            os.close(descriptor)   # closing releases the lock
        # Another writer renamed a new file over the name while this one waited: lock that.
    raise WriteError("it was replaced again and again while flowlint waited to write it")


def remove_stale_temporaries(folder: str) -> list[str]:
    """Remove the temporary files flowlint processes that are gone left in `folder` (killed
    between writing one and renaming it); returns their paths."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    removed = []
    for name in names:
        match = TEMPORARY.match(name)
        if match is None:
            continue
        path = os.path.join(folder, name)
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or not _abandoned(int(match.group(1)), info):
            continue
        try:
            os.unlink(path)
        except OSError:
            continue
        removed.append(path)
    return removed


def _abandoned(pid: int, info: os.stat_result) -> bool:
    if os.name == "nt":
        # os.kill would end the process: no write lasts ten minutes.
        return time.time() - info.st_mtime > 600
    if pid == os.getpid() or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:   # alive, another user's
        pass
    # A process has that pid. It is not the writer if it is a zombie (dead, waiting for a
    # parent that was killed too; some containers' init never reaps them), or if it started
    # after the file was last written: a busy machine reuses pids within seconds.
    state = _process_state(pid)
    if state is None:
        return False
    zombie, started = state
    return zombie or started > info.st_mtime + 1


def _process_state(pid: int) -> tuple[bool, float] | None:
    """Whether process `pid` is a zombie, and when it started (seconds since the epoch),
    where /proc says; else None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        with open("/proc/stat", encoding="ascii", errors="replace") as handle:
            boot = next(int(line.split()[1]) for line in handle if line.startswith("btime "))
        return fields[0] in ("Z", "X"), boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
