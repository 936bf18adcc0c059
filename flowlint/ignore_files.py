""".gitignore and .ignore files, as git and ripgrep read them, for walking folders.

Matching is pathspec's (a maintained implementation of git's wildmatch rules). Git's
precedence is kept: a deeper file overrides a shallower one, within a file the last matching
pattern wins, and a folder that is ignored is not entered, so nothing under it can be
re-included. `.gitignore` files count inside a git repository only (as in ripgrep and ruff);
`.ignore` files count everywhere; `.git/info/exclude` counts below the others.
"""

from __future__ import annotations

import os
import stat

from flowlint.records import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

GITIGNORE, IGNORE = ".gitignore", ".ignore"


class Rules(NamedTuple):
    """The patterns of one file and the folder they are relative to."""

    base: str
    spec: GitIgnoreSpec


Chain = tuple[Rules, ...]   # shallowest first


def git_root(folder: str) -> str | None:
    """The top of the git work tree holding `folder` (a `.git` folder or file), if any."""
    current = os.path.abspath(folder)
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


class IgnoreFiles:
    """The ignore rules of one walk, from the walk's top folder down."""

    def __init__(self, top: str) -> None:
        self.repository = git_root(top)
        self._names = (GITIGNORE, IGNORE) if self.repository else (IGNORE,)

    def top_chain(self, top: str) -> Chain:
        """The rules that apply at `top`: those of its ancestors inside the repository (a
        walk of `flows/` still honours the .gitignore at the repository root)."""
        top = os.path.abspath(top)
        chain: list[Rules] = []
        if self.repository is not None:
            chain.extend(_read(os.path.join(self.repository, ".git", "info", "exclude"),
                               self.repository))
            ancestors = []
            current = top
            while current != self.repository:
                current = os.path.dirname(current)
                ancestors.append(current)
            for folder in reversed(ancestors):
                chain.extend(self._rules_in(folder, None))
        return (*chain, *self._rules_in(top, None))

    def chain_for(self, folder: str, parent: Chain, names: list[str]) -> Chain:
        """`parent` plus the rules of the ignore files among `names` (the folder's files)."""
        own = self._rules_in(folder, names)
        return (*parent, *own) if own else parent

    def _rules_in(self, folder: str, names: list[str] | None) -> list[Rules]:
        found = []
        for name in self._names:
            if names is None or name in names:
                found.extend(_read(os.path.join(folder, name), os.path.abspath(folder)))
        return found


def is_ignored(path: str, is_folder: bool, chain: Chain) -> bool:
    """Whether the deepest rules that decide about `path` ignore it."""
    absolute = os.path.abspath(path)
    for rules in reversed(chain):
        relative = os.path.relpath(absolute, rules.base).replace(os.sep, "/")
        if relative.startswith("../"):
            continue
        result = rules.spec.check_file(relative + "/" if is_folder else relative)
        if result.include is not None:
            return result.include
    return False


def _read(path: str, base: str) -> list[Rules]:
    """The rules in `path`; none when it cannot be read (an unreadable ignore file is not a
    reason to stop a lint run, and git itself passes over it)."""
    try:   # a regular file only: a FIFO named .ignore must not hang the walk
        if not stat.S_ISREG(os.stat(path).st_mode):
            return []
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    if not any(line.strip() and not line.startswith("#") for line in lines):
        return []   # comments only (a fresh repository's .git/info/exclude): nothing to match
    from pathspec import GitIgnoreSpec

    return [Rules(base, GitIgnoreSpec.from_lines(lines))]
