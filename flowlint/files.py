"""Which files a run reads: YAML files under the given paths, minus excluded folders."""

from __future__ import annotations

import fnmatch
import io
import os
import stat
from collections.abc import Callable, Iterable, Iterator

from flowlint.records import TYPE_CHECKING
from flowlint.source import too_large

if TYPE_CHECKING:
    from typing import BinaryIO

    from flowlint.ignore_files import Chain

YAML_SUFFIXES = (".yml", ".yaml")
CACHE_DIR = ".flowlint_cache"   # the result cache (flowlint.run.result_cache), not walked
SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", CACHE_DIR, ".hypothesis",
})


def is_excluded(path: str, excludes: Iterable[str]) -> bool:
    if not excludes:
        return False
    normalized = path.replace(os.sep, "/")
    name = normalized.rsplit("/", 1)[-1]
    for pattern in excludes:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatch(normalized, pattern) or fnmatch.fnmatch(name, pattern):
            return True
        if fnmatch.fnmatch(normalized, f"*/{pattern}") or normalized.startswith(f"{pattern}/"):
            return True
    return False


FolderErrors = list[tuple[str, str]]   # (folder, why it could not be listed)
# Told each walked folder's listing: (folder, its folders, its other entries).
Listed = Callable[[str, list[str], list[str]], None]
# What --verbose says a walk left out, and why: (path, one of the reasons below); a folder's
# path ends with "/".
Skipped = list[tuple[str, str]]
BY_IGNORE_FILE = "ignored by .gitignore or .ignore (--no-respect-gitignore checks it)"
BY_EXCLUDE = "excluded by --exclude or --extend-exclude"
BY_CONFIG = "excluded by `exclude` in its config file"


def discover(paths: Iterable[str], excludes: Iterable[str] = (),
             force_exclude: bool = False,
             errors: FolderErrors | None = None,
             respect_gitignore: bool = True,
             skipped: Skipped | None = None,
             listed: Listed | None = None) -> Iterator[str]:
    """Files to check, in a stable order; files named explicitly are read unless
    `force_exclude` (pre-commit passes every staged file by name). Folders that cannot be
    listed are added to `errors`: the run reports them instead of passing over them.
    Walks skip what .gitignore and .ignore files ignore, unless not `respect_gitignore`;
    what was left out, and why, goes to `skipped` (for --verbose), and each walked folder's
    listing to `listed`."""
    excludes = list(excludes)
    errors = errors if errors is not None else []
    for given in paths:
        if os.path.isdir(given):
            yield from sorted(_walk(given, excludes, errors, respect_gitignore, skipped,
                                    listed))
        elif not (force_exclude and is_excluded(given, excludes)):
            yield given
        elif skipped is not None:
            skipped.append((given, BY_EXCLUDE))


def _walk(top: str, excludes: list[str], errors: FolderErrors,
          respect_gitignore: bool, skipped: Skipped | None = None,
          listed: Listed | None = None) -> Iterator[str]:
    """The YAML files under `top`; what ignore files and excludes leave out goes to
    `skipped`, and every folder's listing to `listed`."""
    def unlisted(error: OSError) -> None:
        errors.append((_display(error.filename or top),
                       f"cannot list the folder: {error.strerror or error}"))

    ignore_files = None
    chains: dict[str, Chain] = {}   # each folder's ignore rules, set by its parent
    if respect_gitignore:
        from flowlint.ignore_files import IgnoreFiles

        ignore_files = IgnoreFiles(top)
    for folder, dirs, files in _listings(top, unlisted):
        if folder != top and "pyvenv.cfg" in files:
            # A virtualenv under any name: its packages' YAML files are not flows. Known
            # from the listing the walk made anyway, not by a stat of each folder.
            dirs.clear()
            continue
        if listed is not None:
            listed(folder, dirs, files)
        prefix = _prefix(folder)
        chain: Chain = ()
        if ignore_files is not None:
            chain = (ignore_files.top_chain(top) if folder == top
                     else ignore_files.chain_for(folder, chains.pop(folder, ()), files))
        if excludes or chain:
            kept = []
            for name in dirs:
                why = _skipped_dir(prefix, name, excludes, chain)
                if why is None:
                    kept.append(name)
                elif skipped is not None and why:
                    skipped.append((_display(prefix + name) + "/", why))
            dirs[:] = kept
        else:   # nearly every folder: nothing but the folders no one walks to leave out
            dirs[:] = [name for name in dirs if name not in SKIPPED_DIRS]
        if chain:   # a folder without rules hands none down (chains.pop's default)
            chains.update((prefix + name, chain) for name in dirs)
        flows = [name for name in files if name.endswith(YAML_SUFFIXES)]
        if not (excludes or chain):   # nothing to match each file against
            shown = _display(prefix)
            yield from [shown + name for name in flows]
            continue
        for name in flows:
            path = prefix + name
            why = BY_EXCLUDE if excludes and is_excluded(_display(path), excludes) else \
                BY_IGNORE_FILE if _ignored(path, False, chain) else None
            if why is None:
                yield _display(path)
            elif skipped is not None:
                skipped.append((_display(path), why))


def _listings(top: str, unlisted: Callable[[OSError], None]
              ) -> Iterator[tuple[str, list[str], list[str]]]:
    """(folder, its folders, its other entries) from `top` down, parents first; a caller
    that empties or trims the folders list keeps the walk out of them. As os.walk with
    followlinks=False (a symlink loop cannot make the walk endless: a symlink to a folder
    is listed with the folders but not entered), without its stat of every folder: the
    listing's entry types tell links from folders."""
    pending = [top]
    while pending:
        folder = pending.pop()
        dirs, files, links = [], [], set()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    try:
                        is_dir = entry.is_dir()
                    except OSError:
                        is_dir = False
                    if is_dir:
                        dirs.append(entry.name)
                        if entry.is_symlink():
                            links.add(entry.name)
                    else:
                        files.append(entry.name)
        except OSError as error:
            unlisted(error)
            continue
        yield folder, dirs, files
        prefix = _prefix(folder)
        # Reversed onto a stack: the folders are walked in their listed order.
        pending.extend(prefix + name for name in reversed(dirs) if name not in links)


def _prefix(folder: str) -> str:
    """`folder` ready to have a name appended (os.path.join without its checks per call)."""
    return folder if folder.endswith(os.sep) or (os.altsep and folder.endswith(os.altsep)) \
        else folder + os.sep


def _skipped_dir(prefix: str, name: str, excludes: list[str], chain: Chain) -> str | None:
    """Why the folder `name` in the folder `prefix` (see _prefix) is not walked ("" for the
    folders no one walks: .git, node_modules...), or None when it is."""
    if name in SKIPPED_DIRS:
        return ""
    path = prefix + name
    if _ignored(path, True, chain):
        return BY_IGNORE_FILE
    if is_excluded(_display(path), excludes):
        return BY_EXCLUDE
    return None


def _ignored(path: str, is_folder: bool, chain: Chain) -> bool:
    if not chain:   # no ignore file on the way: nothing to import or match
        return False
    from flowlint.ignore_files import is_ignored

    return is_ignored(path, is_folder, chain)


def _display(path: str) -> str:
    """A path as users wrote it, without the walk's leading './' ('x' for './x'), kept
    relative: './/x' is 'x' too, never '/x'."""
    return path[2:].lstrip("/") if path.startswith("./") else path


def files_to_read(paths: Iterable[str], excludes: Iterable[str], force_exclude: bool,
                  excluded: Callable[[str], bool],
                  errors: FolderErrors | None = None,
                  respect_gitignore: bool = True,
                  skipped: Skipped | None = None,
                  listed: Listed | None = None) -> list[str]:
    """The files a run reads: those under `paths`, minus what `excludes` (the command line) or
    `excluded` (the config file of each file) leave out; a file named on the command line is
    read anyway, unless `force_exclude`. Folders that cannot be listed go to `errors`, and what
    was left out to `skipped`, with why. `listed` is told each walked folder's listing, before
    `excluded` is asked about the files of that walk (the config search then skips its stats
    in those folders). A file reached twice (`d d`, `d d/x.yml`, `d ./d/`, `d dl` for a link
    dl to d) is read once, as first kept (see _Reached)."""
    given = tuple(paths) or (".",)
    named = frozenset(given)   # pre-commit names every staged file: a set, not a scan
    files = []
    # One path given (the usual `flowlint check .`) cannot reach a file twice: no key a file.
    reached = _Reached() if len(given) > 1 else None
    for path in discover(given, excludes, force_exclude, errors, respect_gitignore, skipped,
                         listed):
        key = reached.key(path) if reached is not None else ""
        if reached is not None and key in reached.kept:
            continue
        if (path in named and not force_exclude) or not excluded(path):
            files.append(path)
            if reached is not None:
                reached.kept.add(key)
        elif skipped is not None:
            skipped.append((path, BY_CONFIG))
    if reached is not None and skipped:
        skipped[:] = reached.unrepeated(skipped)
    return files


class _Reached:
    """The folder entries a run has kept, whatever their spelling on the command line
    (`d/x.yml`, `./d//x.yml`, `/abs/d/x.yml`, `dl/x.yml` for a link dl to d, `lnk/../d/x.yml`
    where that is d): each is the real path of its folder (links and `..` resolved on the
    disk, once a folder) and its name as written. Two names of one file (a link to a file, a
    hard link) stay two entries, as a walk lists them."""

    def __init__(self) -> None:
        try:
            self._here = os.getcwd()
        except OSError:   # a removed current folder: relative names are taken as written
            self._here = ""
        self._real_folders: dict[str, str] = {}
        self.kept: set[str] = set()

    def key(self, path: str) -> str:
        folder, name = os.path.split(os.path.join(self._here, path))
        real = self._real_folders.get(folder)
        if real is None:
            real = self._real_folders[folder] = self._real(folder or os.curdir)
        return os.path.join(real, name)

    def _real(self, folder: str) -> str:
        if not (self._here or os.path.isabs(folder)):
            return os.path.normpath(folder)
        try:
            # The system's own reading first: os.path.realpath reads a `..` after a folder
            # that is missing, a file, a broken link or a loop by its letters
            # (`missing/../a.yaml` as `a.yaml`, a file that cannot be read as one that can).
            if stat.S_ISDIR(os.stat(folder).st_mode):
                return os.path.realpath(folder, strict=True)
        except OSError:
            pass
        return "\0" + folder   # names no file of another spelling (\0 is in no path)

    def unrepeated(self, skipped: Skipped) -> Skipped:
        """What --verbose says was left out, once each, and nothing of a file kept after all
        (a walk left it out, and the command line named it too)."""
        shown: set[str] = set()
        kept_apart = []
        for path, why in skipped:
            is_folder = path.endswith("/")
            key = self.key(path.rstrip("/")) + ("/" if is_folder else "")
            if key not in self.kept and key not in shown:
                shown.add(key)
                kept_apart.append((path, why))
        return kept_apart


class NotARegularFile(OSError):
    def __str__(self) -> str:
        return "not a regular file (a pipe, socket or device); not read"


class FileTooLarge(OSError):
    """A file over the size limit (`max-file-size`), refused before it is read."""

    def __init__(self, size: int | None, limit: int) -> None:
        super().__init__()
        self.size, self.limit = size, limit

    def __str__(self) -> str:
        return too_large(self.size, self.limit)


def read_bytes(path: str, limit: int | None = None) -> bytes:
    """The file's bytes. Raises OSError for what cannot be read, NotARegularFile for anything
    that is not a regular file (opening a FIFO would block the run forever), and
    FileTooLarge for a file over `limit` bytes, told from its size without reading it."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise NotARegularFile()
    with open(path, "rb") as handle:
        return read_limited(handle, limit)


def read_limited(handle: BinaryIO, limit: int | None) -> bytes:
    """What is left to read of `handle` (a file or standard input), at most `limit` bytes:
    over that, FileTooLarge, from the size of a regular file before reading, or after
    `limit` + 1 bytes of anything else, so a 1 GiB file or an endless pipe costs no memory."""
    if limit is None:
        return handle.read()
    size = _left_to_read(handle)
    if size is not None and size > limit:
        raise FileTooLarge(size, limit)
    data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(None, limit)   # a pipe, or a file that grew since
    return data


def _left_to_read(handle: BinaryIO) -> int | None:
    """Bytes from the position to the end of a regular file; None for anything else."""
    try:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None
        return max(info.st_size - handle.tell(), 0)
    except (OSError, ValueError, io.UnsupportedOperation):   # no descriptor: an in-memory file
        return None
