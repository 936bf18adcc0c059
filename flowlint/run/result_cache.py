"""Results per file content, so an unchanged file is not parsed again.

An entry is keyed by flowlint's version and code, the rule catalogue, the file's settings (rules,
target version, options) and its path and bytes. Entries are written atomically (a
temporary file renamed into place), so concurrent runs are safe; an entry that cannot be
read back is ignored and written again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from flowlint import __version__
from flowlint.files import CACHE_DIR
from flowlint.lint import FileResult, Settings


@lru_cache(maxsize=1)
def _catalogue_digest() -> str:
    from flowlint.catalogue import rules_dir

    digest = hashlib.sha256()
    for path in sorted(rules_dir().glob("*")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """Sizes and times of flowlint's own files: an edited checkout (same version number)
    must not be answered from results of the code before the edit."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for folder, _, files in sorted(os.walk(package)):
        for name in sorted(files):
            if name.endswith(".py"):
                info = os.stat(os.path.join(folder, name))
                digest.update(f"{folder}/{name}:{info.st_size}:{info.st_mtime_ns}".encode())
    return digest.hexdigest()


class ResultCache:
    def __init__(self, root: str = CACHE_DIR) -> None:
        self.root = root

    def _entry(self, path: str, data: bytes, settings: Settings) -> str:
        digest = hashlib.sha256()
        for part in (__version__, _code_digest(), _catalogue_digest(), settings.cache_key,
                     path):
            digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
        digest.update(data)
        name = digest.hexdigest()
        return os.path.join(self.root, name[:2], f"{name}.pickle")

    def get(self, path: str, data: bytes, settings: Settings) -> FileResult | None:
        entry = self._entry(path, data, settings)
        try:
            with open(entry, "rb") as handle:
                result = pickle.load(handle)
        except FileNotFoundError:
            return None
        except Exception:  # noqa: BLE001 - a corrupt or foreign entry is simply recomputed
            return None
        return result if isinstance(result, FileResult) else None

    def put(self, path: str, data: bytes, settings: Settings, result: FileResult) -> None:
        entry = self._entry(path, data, settings)
        if not result.findings:
            # A clean file's text is never shown: do not store (and later load) it.
            result = dataclasses.replace(result, source=None)
        folder = os.path.dirname(entry)
        try:
            os.makedirs(folder, exist_ok=True)
            _write_gitignore(self.root)
            descriptor, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
            with os.fdopen(descriptor, "wb") as handle:
                pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, entry)
        except OSError:
            pass  # a cache that cannot be written only costs speed


def _write_gitignore(root: str) -> None:
    marker = os.path.join(root, ".gitignore")
    if not os.path.exists(marker):
        with open(marker, "w", encoding="utf-8") as handle:
            handle.write("# created by flowlint\n*\n")


def clean(root: str = CACHE_DIR) -> bool:
    """Remove the cache folder; True when there was one."""
    if not os.path.isdir(root):
        return False
    shutil.rmtree(root, ignore_errors=True)
    return True
