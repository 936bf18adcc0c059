"""Results per file content, so an unchanged file is not parsed again.

An entry is plain JSON, never code: loading one runs nothing, and one that does not match the
exact schema (`_to_record`), or was made for other inputs, is a miss (checked again and
rewritten). It holds what the reports show of a result, not the file's text: on a hit the text
is decoded again from the bytes being checked. Each entry names its inputs inside it
(flowlint's version and code, the rule catalogue, the file's settings, its path and the sha256
of its bytes), so an entry copied to another entry's name, or made for another version, is a
miss too.

Beside the entries, the stat index (below) answers an unchanged file from one stat. For the
reports that show no fix edits it also answers a file with findings, from each finding's
positions and the lines they start on, which it keeps (each line once): neither the file nor
its entry is read then. Its records are checked as strictly as the entries, and no position
they hold may lie past the file's size.

The cache is not a trust boundary: whoever can write into the folder can make an entry that
hides a file's findings (the file name and the hashes are public), but no more. The folder is
used only when flowlint made it (see `_is_flowlint_folder`).

Entries are written atomically (a temporary file renamed into place), so concurrent runs are
safe.
"""

from __future__ import annotations

import contextlib
import gc
import os
import stat
import sys
import time
from collections.abc import Callable
from functools import lru_cache

from flowlint import __version__
from flowlint.catalogue import catalogue_digest
from flowlint.files import CACHE_DIR
from flowlint.findings import Edit, Finding, Fix, FixOutcome, Span
from flowlint.json_read import loads
from flowlint.lint import FileResult, Settings
from flowlint.records import TYPE_CHECKING
from flowlint.run.index_findings import (
    OUTCOME_FIELDS,
    findings_record,
    is_optional_str,
    is_rule_code,
    outcome_from_list,
    recorded_result,
)
from flowlint.source import SourceError, decode

if TYPE_CHECKING:
    from typing import TypeGuard

MARKER = ".gitignore"
SUFFIX = ".json"
# Far above any real entry: a planted huge file is not read into memory.
_MAX_ENTRY_BYTES = 64 * 1024 * 1024
# A FIFO at an entry's path must not block the open; a symlink there is not ours to follow.
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
               | getattr(os, "O_BINARY", 0))

_ENTRY_KEYS = frozenset({"inputs", "result"})
_RESULT_KEYS = frozenset({"flows", "other_documents", "suppressed", "error", "fixes",
                          "findings"})
_FINDING_KEYS = frozenset({"rule", "start", "end", "message", "help", "task_id", "yaml_path",
                           "fix", "fix_outcome"})
_FIX_KEYS = frozenset({"title", "safe", "strategy", "scope", "edits"})
_EDIT_KEYS = frozenset({"start", "end", "text"})
_OUTCOME_KEYS = frozenset(OUTCOME_FIELDS)


try:   # CPython's own sha256 (`_sha2` from 3.12 on), which loads without OpenSSL
    from _sha2 import sha256 as _short_sha256
except ImportError:
    try:
        from _sha256 import sha256 as _short_sha256
    except ImportError:   # pragma: no cover - another Python
        from hashlib import sha256 as _short_sha256
# Every run digests a few short texts (its inputs' names); hashlib would load OpenSSL for
# them, about 3 ms of a warm run that reads nothing else. The bytes of checked files, long
# and only hashed when something changed, go through hashlib (_bytes_digest).


def _bytes_digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """Sizes and times of flowlint's own files: an edited checkout (same version number)
    must not be answered from results of the code before the edit."""
    digest = _short_sha256()
    for path, info in _code_files():
        digest.update(f"{path}:{info.st_size}:{info.st_mtime_ns}".encode())
    return digest.hexdigest()


def _code_files() -> list[tuple[str, os.stat_result]]:
    """Every file of the flowlint package (this file is in flowlint/run/) with its stat, in a
    stable order: its modules and the data they read (package metadata, schemas), not the
    compiled bytecode."""
    found = []
    pending = [os.path.dirname(os.path.dirname(os.path.realpath(__file__)))]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        pending.append(entry.path)
                elif not entry.name.endswith((".pyc", ".pyo")):
                    found.append((entry.path, entry.stat()))
    return sorted(found)


@lru_cache(maxsize=64)
def _settings_digest(cache_key: str) -> str:
    return _short_sha256(cache_key.encode("utf-8")).hexdigest()


def _inputs(path: str, data: bytes, settings: Settings,
            sha256: str | None = None) -> dict[str, str]:
    """What a result depends on; stored in its entry and compared on load. `sha256` is the
    digest of `data` when the stat index already vouches for it."""
    return {
        "flowlint": __version__,
        "code": _code_digest(),
        "catalogue": catalogue_digest(),
        "settings": _settings_digest(settings.cache_key),
        "path": path,
        "sha256": sha256 or _bytes_digest(data),
    }


class ResultCache:
    def __init__(self, root: str = CACHE_DIR, with_fixes: bool = True) -> None:
        """`with_fixes`: lookups answer findings with their fixes and the file's text (for
        the reports that position fixes: json, sarif). Without, a file with findings is
        answered from the stat index alone, which records where each finding is and the
        line it quotes: neither the file nor its entry is read."""
        self.root = root
        self.with_fixes = with_fixes
        self._files: dict[str, object] | None = None   # the stat index, read on first lookup
        self._readable: bool | None = None   # _is_flowlint_folder, asked once a run for reads
        # Once: os.path.abspath asks the system for the current folder at every call.
        self._cwd_prefix = os.path.join(os.getcwd(), "")
        self._folders: dict[str, str] = {}   # a folder as given -> absolute, with a "/"

    def lookup(self, path: str, settings: Settings) -> FileResult | None:
        """The cached result of the file at `path`, from one stat when the file is as it was
        when its result was stored (see "The stat index" below); None on a miss.

        Made for one instance per run: the index is read (and its journals merged) once."""
        if self._files is None:
            self._files = _load_index(self.root)
        # Keyed by absolute path: the cache sits at the project root and runs start from any
        # folder, where one relative name can be two files.
        absolute = self._absolute(path)
        record = _valid_record(self._files.get(absolute))
        if record is None or record[_SETTINGS] != _settings_digest(settings.cache_key):
            return None
        try:
            info = _stat(path)
        except OSError:
            return None
        data = None
        if not _trusted(record, info):
            # Changed size, times or inode, or stored too soon after the file's last write:
            # the bytes decide, and the record is renewed when they are the same.
            seen = _observe(path, settings.max_bytes)
            if seen is None or _bytes_digest(seen[2]) != record[_SHA256]:
                return None
            info, at, data = seen
            _append_journal(self.root, path, [record[_SETTINGS], *_stat_state(info, at),
                                              *record[_SHA256:]])
        counts, rows = record[_COUNTS], record[_ROWS]
        if rows is None:   # a clean file: neither read nor decoded
            return _clean_result(path, counts)
        if not self.with_fixes:
            return recorded_result(path, counts, rows, info.st_size)
        if data is None:
            data = _read_file(path, settings.max_bytes)
        return None if data is None else self.get(path, data, settings, record[_SHA256])

    def _absolute(self, path: str) -> str:
        """os.path.normpath of `path` from the current folder, each folder normalised once
        (thousands of files in hundreds of folders)."""
        cut = path.rfind(os.sep) + 1
        name = path[cut:]
        if os.altsep is not None or name in ("", ".", ".."):   # Windows, or not a file name
            return os.path.normpath(os.path.join(self._cwd_prefix, path))
        folder = self._folders.get(path[:cut])
        if folder is None:
            given = path[:cut]
            folder = self._folders[given] = os.path.join(
                os.path.normpath(os.path.join(self._cwd_prefix, given)), "")
        return folder + name

    def _entry(self, inputs: dict[str, str]) -> str:
        key = "\0".join(inputs.values()).encode("utf-8", "surrogatepass")
        name = _short_sha256(key).hexdigest()
        return os.path.join(self.root, name[:2], name + SUFFIX)

    def get(self, path: str, data: bytes, settings: Settings,
            sha256: str | None = None) -> FileResult | None:
        if self._readable is None:
            self._readable = _is_flowlint_folder(self.root)
        if not self._readable:
            return None
        inputs = _inputs(path, data, settings, sha256)
        raw = _read_entry(self._entry(inputs))
        if raw is None:
            return None
        try:
            entry = loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):   # not UTF-8, not JSON, huge numbers, deep nesting
            return None
        if not _has_keys(entry, _ENTRY_KEYS) or entry["inputs"] != inputs:
            return None
        return _from_record(entry["result"], data, path, settings)

    def put(self, path: str, data: bytes, settings: Settings, result: FileResult) -> None:
        if result.notes:
            return   # not kept: a file the rules could not check whole is checked again
        inputs = _inputs(path, data, settings)
        self._put_entry(inputs, result)
        if _is_flowlint_folder(self.root):
            _note_file(self.root, path, data, inputs, result)

    def _put_entry(self, inputs: dict[str, str], result: FileResult) -> None:
        import json  # writing only: a warm run reads with json_read

        entry = self._entry(inputs)
        text = json.dumps({"inputs": inputs, "result": _to_record(result)},
                          separators=(",", ":"))
        folder = os.path.dirname(entry)
        try:
            if not os.path.lexists(self.root):
                _create_root(self.root)
            if not _is_flowlint_folder(self.root):
                return
            os.makedirs(folder, exist_ok=True)
            descriptor, temporary = _temporary_file(folder)
        except OSError:
            return  # a cache that cannot be written only costs speed
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(text.encode("ascii"))
            os.replace(temporary, entry)   # replaces a file, a symlink or a pipe; not a folder
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _is_flowlint_folder(root: str) -> bool:
    """A real folder holding the `.gitignore` flowlint writes when it creates the cache.

    Without the marker the folder was not made by flowlint: most likely it came with the
    repository (the marker's `*` ignores the marker itself, so force-added entries arrive
    without it) and its entries are anyone's. Such a folder is neither read nor written, and
    `flowlint clean` resets it. A symlinked root could point anywhere, so it is not used
    either. A committed folder that includes a marker passes this check: the README says not
    to commit the cache and to run untrusted pull requests with --no-cache.
    """
    try:
        return (stat.S_ISDIR(os.lstat(root).st_mode)
                and stat.S_ISREG(os.stat(os.path.join(root, MARKER)).st_mode))
    except OSError:
        return False


def _read_entry(entry: str) -> bytes | None:
    """The bytes of a regular file at `entry`; None for anything else (missing, a symlink, a
    folder, a FIFO, too large, unreadable)."""
    try:
        descriptor = os.open(entry, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_ENTRY_BYTES:
            return None
        # One read: entries are replaced by rename, never grown; a short read fails to parse.
        return os.read(descriptor, info.st_size)
    except OSError:
        return None
    finally:
        os.close(descriptor)


def _to_record(result: FileResult) -> dict[str, object]:
    """What the reports use of a result, as JSON data. A finding's fix is stored once per
    distinct Fix (a task's findings share theirs) and referenced by index."""
    fixes: dict[Fix, int] = {}
    findings = []
    for finding in result.findings:
        fix_index = None
        if finding.fix is not None:
            fix_index = fixes.setdefault(finding.fix, len(fixes))
        outcome = finding.fix_outcome
        findings.append({
            "rule": finding.rule, "start": finding.span.start, "end": finding.span.end,
            "message": finding.message, "help": finding.help, "task_id": finding.task_id,
            "yaml_path": finding.yaml_path, "fix": fix_index,
            "fix_outcome": None if outcome is None else {
                "strategy": outcome.strategy, "title": outcome.title, "safe": outcome.safe,
                "applicable": outcome.applicable, "reason": outcome.reason},
        })
    return {
        "flows": result.flows, "other_documents": result.other_documents,
        "suppressed": result.suppressed, "error": result.error,
        "fixes": [{"title": fix.title, "safe": fix.safe, "strategy": fix.strategy,
                   "scope": sorted(fix.scope),
                   "edits": [{"start": edit.start, "end": edit.end, "text": edit.text}
                             for edit in fix.edits]}
                  for fix in fixes],
        "findings": findings,
    }


def _from_record(record: object, data: bytes, path: str, settings: Settings
                 ) -> FileResult | None:
    """The result a record describes for these bytes, or None unless every field has
    exactly its type and every offset lies in the text: never a partial result."""
    if not _has_keys(record, _RESULT_KEYS):
        return None
    # No count can pass the file's size (an empty file is one document): this also keeps
    # forged huge numbers out.
    flows, others, suppressed = record["flows"], record["other_documents"], record["suppressed"]
    most = len(data) + 1
    if not (_is_int(flows, 0, most) and _is_int(others, 0, most)
            and _is_int(suppressed, 0, most)):
        return None
    error, found, fix_records = record["error"], record["findings"], record["fixes"]
    if not (is_optional_str(error) and type(found) is list and type(fix_records) is list):
        return None
    if not found:
        if fix_records:
            return None
        # A clean file needs no text: reports show nothing of it.
        return FileResult(path, None, [], error, flows, others, suppressed)
    if error is not None:
        return None   # a file that could not be read has no findings
    try:
        source = decode(data, path, settings.max_bytes)
    except SourceError:
        return None
    length = len(source.text)
    fixes = [_fix(item, length) for item in fix_records]
    findings = [_finding(item, length, fixes) for item in found]
    if None in fixes or None in findings:
        return None
    return FileResult(path, source, findings, None, flows, others, suppressed)


def _finding(record: object, length: int, fixes: list[Fix | None]) -> Finding | None:
    if not _has_keys(record, _FINDING_KEYS):
        return None
    rule, start, end, fix = record["rule"], record["start"], record["end"], record["fix"]
    if not (type(rule) is str and is_rule_code(rule)
            and _is_int(start, 0, length) and _is_int(end, start, length)
            and type(record["message"]) is str and is_optional_str(record["help"])
            and is_optional_str(record["task_id"])
            and is_optional_str(record["yaml_path"])
            and (fix is None or _is_int(fix, 0, len(fixes) - 1))):
        return None
    outcome = record["fix_outcome"]
    fix_outcome = None if outcome is None else _fix_outcome(outcome)
    if outcome is not None and fix_outcome is None:
        return None
    return Finding(rule, Span(start, end), record["message"], record["task_id"],
                   record["yaml_path"], None if fix is None else fixes[fix], fix_outcome,
                   help=record["help"])


def _fix(record: object, length: int) -> Fix | None:
    if not _has_keys(record, _FIX_KEYS):
        return None
    scope, edits = record["scope"], record["edits"]
    if not (type(record["title"]) is str and type(record["safe"]) is bool
            and type(record["strategy"]) is str and type(scope) is list
            and all(type(task_id) is str for task_id in scope) and type(edits) is list):
        return None
    parsed = [_edit(item, length) for item in edits]
    if None in parsed:
        return None
    return Fix(record["title"], tuple(parsed), record["safe"], record["strategy"],
               frozenset(scope))


def _edit(record: object, length: int) -> Edit | None:
    if not _has_keys(record, _EDIT_KEYS):
        return None
    start, end, text = record["start"], record["end"], record["text"]
    if not (_is_int(start, 0, length) and _is_int(end, start, length) and type(text) is str):
        return None
    return Edit(start, end, text)


def _fix_outcome(record: object) -> FixOutcome | None:
    if not _has_keys(record, _OUTCOME_KEYS):
        return None
    return outcome_from_list([record[field] for field in OUTCOME_FIELDS])


def _has_keys(value: object, keys: frozenset[str]) -> TypeGuard[dict[str, object]]:
    return type(value) is dict and value.keys() == keys


def _is_int(value: object, low: int, high: int) -> bool:
    # `type(...) is int`: JSON true and false load as bools, which are ints to isinstance.
    return type(value) is int and low <= value <= high


# ------------------------------------------------------------------------ the stat index
#
# Beside the entries (one per file content), `index.json` maps each checked path to what its
# file was when its result was stored: [settings digest, "st_dev:st_ino:st_size:st_mtime_ns:
# st_ctime_ns", whether that stat may be trusted (below), the sha256 of the bytes, the counts
# [flows, other documents, suppressed, error], and its findings as the reports without fixes
# show them (flowlint.run.index_findings), or null for a clean file]. A warm run stats each
# file and, when the stat is the same, answers from the index without reading the file or its
# entry (those are read only for the reports that show fix edits). The stat is one string:
# thousands of records load and compare faster so than as five numbers each.
#
# Like git's "racy" index entries, a record whose file was modified less than _RACY_NS before
# the record was taken is not trusted: a second write within the same timestamp tick (and the
# same size) would leave every stat field as it was. Such a record, and one whose stat
# differs (a `touch`, a fresh clone), is checked against the sha256 of the bytes, then renewed.
#
# Processes append records to journals (`journal-*.jsonl`, one line each, written with one
# O_APPEND write); the next run merges them into index.json and removes them. Losing a journal
# or the index to a concurrent run costs speed only: a record is never trusted for more than
# the bytes it was made from.

INDEX = "index.json"
JOURNAL_PREFIX = "journal-"
_RACY_NS = 2_000_000_000   # above any filesystem's timestamp tick (FAT: 2 s) and clock skew
_journals: dict[str, tuple[int, int]] = {}   # cache root -> (pid, descriptor) of this process
_stat, _fstat = os.stat, os.fstat   # of the checked files (tests fake a coarse filesystem)


@lru_cache(maxsize=1)
def _index_key() -> str:
    """The inputs every record depends on besides its file and settings."""
    return _short_sha256(f"{__version__}\0{_code_digest()}\0{catalogue_digest()}"
                          .encode()).hexdigest()


_SETTINGS, _STAT, _TRUSTED, _SHA256, _COUNTS, _ROWS = range(6)   # a record's fields


def _stat_key(info: os.stat_result) -> str:
    return f"{info.st_dev}:{info.st_ino}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}"


def _stat_state(info: os.stat_result, at: int) -> list:
    """A record's stat and whether it may be trusted, for a stat taken just after `at`: only
    if the file's last write was long enough before."""
    return [_stat_key(info), info.st_mtime_ns + _RACY_NS <= at]


def _trusted(record: list, info: os.stat_result) -> bool:
    """The file is as recorded, and the record was taken long enough after its last write."""
    return (record[_TRUSTED] and stat.S_ISREG(info.st_mode)
            and record[_STAT] == _stat_key(info))


_MOST = 2 ** 31   # above any count or position a checked file can have


def _valid_record(record: object) -> list | None:
    """The record if every field but the findings has exactly its type (checked per lookup,
    as plainly as it can be: this runs once for every file of a warm run); the findings are
    checked when they are used (index_findings.recorded_result)."""
    if type(record) is not list or len(record) != 6:
        return None
    settings, stat_key, trusted, sha256, counts, rows = record
    if not (type(settings) is str and type(stat_key) is str and type(trusted) is bool
            and type(sha256) is str and type(counts) is list and len(counts) == 4):
        return None
    flows, others, suppressed, error = counts
    if not (type(flows) is int and type(others) is int and type(suppressed) is int
            and 0 <= flows < _MOST and 0 <= others < _MOST and 0 <= suppressed < _MOST
            and (error is None or type(error) is str)
            and (rows is None or (type(rows) is list and error is None))):
        return None
    return record


def _clean_result(path: str, counts: list) -> FileResult:
    flows, others, suppressed, error = counts
    return FileResult(path, None, [], error, flows, others, suppressed)


def _observe(path: str, limit: int) -> tuple[os.stat_result, int, bytes] | None:
    """The file's stat, the time just before it, and its bytes (None: not a regular file,
    over `limit`, or unreadable). The stat is of the open file, taken before reading it."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                             | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    try:
        at = time.time_ns()
        info = _fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(descriptor, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        return None if len(data) > limit else (info, at, data)
    except OSError:
        return None
    finally:
        os.close(descriptor)


def _read_file(path: str, limit: int) -> bytes | None:
    seen = _observe(path, limit)
    return None if seen is None else seen[2]


def _note_file(root: str, path: str, data: bytes, inputs: dict[str, str],
               result: FileResult) -> None:
    """Record the file's stat for the result just stored, if the file still holds `data`
    (its stat is taken before it is read again, so a write in between is never recorded
    as the state of these bytes)."""
    seen = _observe(path, len(data))
    if seen is None or seen[2] != data:
        return
    info, at, _ = seen
    counts = [result.flows, result.other_documents, result.suppressed, result.error]
    rows = None
    if result.findings:
        if result.source is None:
            return
        rows = findings_record(result.findings, result.source)
    _append_journal(root, path, [inputs["settings"], *_stat_state(info, at),
                                 inputs["sha256"], counts, rows])


def _append_journal(root: str, path: str, record: list) -> None:
    import json

    line = json.dumps([_index_key(), os.path.abspath(path), record],
                      separators=(",", ":")) + "\n"
    where = os.path.abspath(root)
    try:
        pid, descriptor = _journals.get(where, (None, -1))
        # None yet, one inherited from the process this one forked from, or one that a run
        # merged (or `flowlint clean` removed) since: a new journal.
        if pid != os.getpid() or os.fstat(descriptor).st_nlink == 0:
            name = f"{JOURNAL_PREFIX}{os.getpid()}-{os.urandom(4).hex()}.jsonl"
            descriptor = os.open(os.path.join(where, name),
                                 os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_EXCL
                                 | getattr(os, "O_NOFOLLOW", 0), 0o644)
            if pid == os.getpid():
                with contextlib.suppress(OSError):
                    os.close(_journals[where][1])
            _journals[where] = (os.getpid(), descriptor)
        os.write(descriptor, line.encode("utf-8", "surrogatepass"))
    except OSError:
        pass   # a cache that cannot be written only costs speed


def _load_index(root: str) -> dict[str, object]:
    """index.json with the journals merged in (and then written back and removed)."""
    if not _is_flowlint_folder(root):
        return {}
    key = _index_key()
    files: dict[str, object] = {}
    raw = _read_entry(os.path.join(root, INDEX))
    try:
        stored = _without_gc(loads, raw.decode("utf-8", "surrogatepass")) if raw else None
    except (ValueError, RecursionError):
        stored = None
    if type(stored) is dict and stored.get("key") == key and type(stored.get("files")) is dict:
        files = stored["files"]
    try:
        journals = [entry.name for entry in os.scandir(root)
                    if entry.name.startswith(JOURNAL_PREFIX) and entry.name.endswith(".jsonl")]
    except OSError:
        return files
    for name in journals:
        raw = _read_entry(os.path.join(root, name))
        for line in (raw or b"").splitlines():
            try:
                item = loads(line.decode("utf-8", "surrogatepass"))
            except (ValueError, RecursionError):
                continue
            if type(item) is list and len(item) == 3 and item[0] == key \
                    and type(item[1]) is str:
                files[item[1]] = item[2]
    if journals:
        _write_index(root, {"key": key, "files": files})
        # This process's own journal too (it writes a new one next): a process that goes on
        # appending to a removed journal loses those records, which costs speed only.
        for name in journals:
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(root, name))
    return files


def _without_gc(function: Callable[[str], object], text: str) -> object:
    """function(text) with the cycle collector paused: JSON makes no cycles, and the index's
    tens of thousands of lists and strings set off collections that scan every object the
    run holds, a few ms of a warm run for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return function(text)
    finally:
        if enabled:
            gc.enable()


def _write_index(root: str, index: dict[str, object]) -> None:
    import json

    text = json.dumps(index, separators=(",", ":"), ensure_ascii=False)
    try:
        descriptor, temporary = _temporary_file(root)
    except OSError:
        return
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(text.encode("utf-8", "surrogatepass"))
        os.replace(temporary, os.path.join(root, INDEX))
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _temporary_file(folder: str) -> tuple[int, str]:
    # tempfile (and shutil) load only when something is written: a warm run that writes
    # nothing starts ~5 ms sooner without them.
    import tempfile

    return tempfile.mkstemp(dir=folder, suffix=".tmp")


def _create_root(root: str) -> None:
    """The cache folder appears with its marker already inside (renamed into place), so a
    concurrent run never sees it without one and takes it for a foreign folder."""
    import shutil
    import tempfile

    parent, name = os.path.split(os.path.abspath(root))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(dir=parent, prefix=f"{name}.")
    try:
        with open(os.path.join(staging, MARKER), "w", encoding="utf-8") as handle:
            handle.write("# created by flowlint\n*\n")
        os.rename(staging, root)
    except OSError:   # another run made it first
        shutil.rmtree(staging, ignore_errors=True)


def clean(root: str = CACHE_DIR) -> bool:
    """Remove the cache folder; True when there was one. Raises OSError (naming what could
    not be removed) when some of it is left."""
    if os.path.islink(root):
        os.unlink(root)   # the link, never what it points to
        return True
    if not os.path.isdir(root):
        return False
    import shutil

    failures: list[OSError] = []
    if sys.version_info >= (3, 12):
        shutil.rmtree(root, onexc=lambda _function, _path, error: failures.append(error))
    else:
        shutil.rmtree(root, onerror=lambda _function, _path, info: failures.append(info[1]))
    if failures or os.path.lexists(root):
        first = failures[0] if failures else OSError(f"{root} is still there")
        raise first
    return True
