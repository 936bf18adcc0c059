"""One file, start to end: read, check or fix, verify, write. Never raises."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Iterator

from flowlint.files import FileTooLarge, NotARegularFile, read_bytes
from flowlint.lint import FileResult, Settings, check_bytes, drop_details
from flowlint.records import TYPE_CHECKING, MutableRecord, NamedTuple
from flowlint.source import SourceError, decode

if TYPE_CHECKING:
    from flowlint.findings import Finding
    from flowlint.run.result_cache import ResultCache


class Mode(NamedTuple):
    fix: bool = False
    unsafe: bool = False
    diff: bool = False        # compute the fix, show a diff, write nothing
    write: bool = True        # False for stdin: the caller prints the fixed text

    def write_files(self, paths: tuple[str, ...], stdin_filename: str | None) -> bool:
        """False in editor mode (stdin), where the fixed flow goes to stdout."""
        return not (paths == ("-",) or stdin_filename)


class FileOutcome(MutableRecord):
    """A file's result, and what fixing it changed (filled in as the fix is written)."""

    __slots__ = _fields = ("result", "fixed_text", "diff", "applied", "write_error")

    def __init__(self, result: FileResult, fixed_text: str | None = None, diff: str = "",
                 applied: list[str] | None = None, write_error: str | None = None) -> None:
        self.result = result
        self.fixed_text = fixed_text   # the whole fixed text, when something was fixed
        self.diff = diff
        self.applied = [] if applied is None else applied
        self.write_error = write_error

def process_file(path: str, settings: Settings, mode: Mode, data: bytes | None = None,
                 cache_root: str | None = None) -> FileOutcome:
    try:
        if data is None:
            data = read_bytes(path, settings.max_bytes)
    except (NotARegularFile, FileTooLarge) as error:
        return FileOutcome(FileResult(path, error=str(error)))
    except OSError as error:
        return FileOutcome(FileResult(path, error=f"cannot read: {error.strerror or error}"))
    try:
        if not mode.fix:
            return FileOutcome(drop_details(_check(path, data, settings, cache_root)))
        outcome = _fix(path, data, settings, mode)
        drop_details(outcome.result)
        return outcome
    except RecursionError:
        return FileOutcome(FileResult(path, error="nesting is too deep to check"))
    except Exception as error:  # noqa: BLE001 - promise 3: one bad file never stops the run
        return FileOutcome(FileResult(path, error=f"internal error ({type(error).__name__}: "
                                                  f"{error}); please report it with this file"))


def _check(path: str, data: bytes, settings: Settings, cache_root: str | None) -> FileResult:
    if cache_root is None:
        return check_bytes(data, path, settings)
    from flowlint.run.result_cache import ResultCache

    cache = ResultCache(cache_root)
    result = cache.get(path, data, settings)
    if result is None:
        result = check_bytes(data, path, settings)
        cache.put(path, data, settings, result)
    return result


def process_files(jobs: list[tuple[str, Settings]], mode: Mode, cache_root: str | None,
                  workers: int, with_fixes: bool = True) -> Iterator[FileOutcome]:
    """Every file's outcome, in the order given, spread over processes when it pays.
    Without `with_fixes` (a report that shows no fix edits), results from the cache may
    carry their findings' positions only (see ResultCache).

    A generator, so the caller can keep only what its report needs of each file as it
    comes (thousands of files' texts would otherwise stay in memory until the end).
    """
    _settle()
    try:
        hits: list[FileOutcome | None] = [None] * len(jobs)
        if cache_root is not None and not mode.fix:
            # Cache hits are cheaper than handing files to another process: answer them
            # here, from one stat per unchanged file (one cache: its index is read once).
            from flowlint.run.result_cache import ResultCache

            cache = ResultCache(cache_root, with_fixes)
            with _collector_paused():
                hits = [_cached(path, settings, cache) for path, settings in jobs]
        work = [(path, settings, mode, cache_root)
                for (path, settings), hit in zip(jobs, hits) if hit is None]
        if mode.fix and mode.write and not mode.diff:
            _remove_stale_temporaries(path for path, _ in jobs)
        done = _run(work, workers)
        for hit in hits:
            yield hit if hit is not None else next(done)
    finally:
        # What the run froze is the caller's again: a process that runs many checks (the
        # tests, a library user) does not keep each run's leftovers out of reach for good.
        gc.unfreeze()


def _run(work: list[tuple[str, Settings, Mode, str | None]], workers: int
         ) -> Iterator[FileOutcome]:
    if not work:
        return
    # The first file is checked here, before any worker forks: the modules it loads (the
    # rules, the script analysers) are then loaded once, not once in every worker.
    yield _process_job(work[0])
    _settle()
    # Starting processes costs more than checking a few files.
    if workers <= 1 or len(work) < 32:
        yield from map(_process_job, work[1:])
        return
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(1, len(work) // (workers * 8))
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker,
                             initargs=(os.getpid(),)) as pool:
        try:
            with _ctrl_c_held():
                # Submits every chunk, forks the workers and starts the pool's manager
                # thread: a Ctrl-C in between left a pool that could neither work nor shut
                # down (a hang at exit). It is delivered as soon as the pool stands.
                results = pool.map(_process_job, work[1:], chunksize=chunk)
            yield from results
        except BaseException:   # Ctrl-C, or the report stopped reading (a closed pipe)
            _stop(pool)
            raise


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """SIGINT held back (not lost) while the block runs, where signals can be held."""
    import signal

    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _stop(pool: object) -> None:
    """No file is checked or written after the run stops: queued work is dropped and the
    workers are ended (a Ctrl-C sent to the run alone does not reach them)."""
    import multiprocessing

    pool.shutdown(wait=False, cancel_futures=True)   # type: ignore[attr-defined]
    for worker in multiprocessing.active_children():
        worker.terminate()
    for worker in multiprocessing.active_children():
        worker.join(timeout=5)


def _settle() -> None:
    """Take what is alive now (the modules, the rule catalogue, the settings: all kept until
    the run ends) out of the cycle collector's sight. Each full collection scanned them all
    again, 8% of a cold run; forked workers inherit the frozen objects (and keep sharing
    their memory pages). Objects made later are collected as before."""
    gc.freeze()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cycle collector paused, then what was made frozen (see _settle): answers from
    the cache make tens of thousands of objects and no cycle, all kept until the run ends;
    each collection on the way scanned them again (~2 ms of a warm run over 2,000 files),
    and without the freeze the first one after would scan them all at once."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        _settle()
        if enabled:
            gc.enable()


# In a worker process: the pids of its parent and of the flowlint run that started it (the
# same with the fork start method; the parent is a fork server otherwise).
_parent: int | None = None
_main: int | None = None


def _start_worker(main: int) -> None:
    """A worker dies with the run that started it: killed (even by SIGKILL), the run leaves
    no worker going on fixing files, and a worker whose run is gone writes nothing."""
    global _parent, _main
    _parent, _main = os.getppid(), main
    import signal

    if hasattr(signal, "pthread_sigmask"):   # forked while the run held Ctrl-C back
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if not _die_with_parent():
        import threading

        threading.Thread(target=_watch_parent, name="flowlint-parent-watch",
                         daemon=True).start()
    if not _run_alive():   # the run died before the death signal was asked for
        os._exit(1)


def _die_with_parent() -> bool:
    """Linux: the kernel sends SIGKILL to this process when its parent dies."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        return libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent() -> None:
    import time

    while _run_alive():
        time.sleep(0.2)
    os._exit(1)


def _run_alive() -> bool:
    """True in the main process; in a worker, whether the run that started it still is."""
    if _parent is None:
        return True
    if os.getppid() != _parent:
        return False
    if _main == _parent:
        return True
    try:
        os.kill(_main, 0)
    except ProcessLookupError:
        return False
    except OSError:
        pass
    return True


def _remove_stale_temporaries(paths: Iterator[str]) -> None:
    """Temporary files a killed run left beside the files to fix (flowlint.run.atomic_write)."""
    from flowlint.run.atomic_write import remove_stale_temporaries

    folders = {os.path.dirname(os.path.realpath(path)) for path in paths}
    for folder in sorted(folders):
        remove_stale_temporaries(folder)


def _cached(path: str, settings: Settings, cache: ResultCache) -> FileOutcome | None:
    result = cache.lookup(path, settings)   # None for anything unreadable: the full path says
    return FileOutcome(result) if result is not None else None


def _process_job(job: tuple[str, Settings, Mode, str | None]) -> FileOutcome:
    path, settings, mode, cache_root = job
    outcome = process_file(path, settings, mode, None, cache_root)
    if not outcome.result.findings and outcome.fixed_text is None:
        # Reports need a file's text only to show its findings: a clean file's text would
        # only cost memory (and pickling, from a worker) until the report is written.
        outcome.result.source = None
    return outcome


def _fix(path: str, data: bytes, settings: Settings, mode: Mode) -> FileOutcome:
    from flowlint.run.fix_loop import fix_source

    try:
        source = decode(data, path, settings.max_bytes)
    except SourceError as error:
        return FileOutcome(FileResult(path, error=str(error)))
    run = fix_source(source, settings, mode.unsafe)
    result = run.result
    outcome = FileOutcome(result, applied=[_applied_line(fixed) for fixed in run.applied])
    if not run.changed:
        return outcome
    outcome.fixed_text = run.text
    if mode.diff:
        outcome.diff = unified_diff(path, source.text, run.text)
        # Nothing is written: the findings are reported where they are in the file on disk
        # (the fix loop's first check of it).
        outcome.result = run.original
    elif mode.write:
        # Loaded only to write: --diff and the language server's fixes write nothing.
        from flowlint.run.atomic_write import WriteError, write_atomic

        try:
            write_atomic(path, source.encode(run.text), data, _run_alive)
        except WriteError as error:
            # Not written: the report is about the file as read, and says nothing was fixed.
            outcome.write_error = str(error)
            outcome.fixed_text = None
            outcome.applied = []
            outcome.result = run.original
    return outcome


def _applied_line(fixed: Finding) -> str:
    """What --show-fixes says of one fix: the rule, its task (if it has one) and the title."""
    task = f" '{fixed.task_id}'" if fixed.task_id is not None else ""
    return f"{fixed.rule}{task}: {fixed.fix.title if fixed.fix else ''}"


def unified_diff(path: str, before: str, after: str) -> str:
    import difflib

    lines = difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                 fromfile=f"a/{path}", tofile=f"b/{path}")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
