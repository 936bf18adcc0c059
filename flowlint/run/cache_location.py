"""Where the result cache lives: at the project's root, not in whatever folder a run starts
from (as ruff does), so running from a subfolder or an editor's cwd reuses one cache."""

from __future__ import annotations

import os
from collections.abc import Mapping

from flowlint.files import CACHE_DIR

ENVIRONMENT_VARIABLE = "FLOWLINT_CACHE_DIR"


def cache_location(chosen: str | None, config_file: str | None, cwd: str | None = None,
                   environ: Mapping[str, str] = os.environ) -> str:
    """`--cache-dir`, else FLOWLINT_CACHE_DIR, else .flowlint_cache beside the config file
    that applies to the current folder, else at the root of its git work tree, else here."""
    if chosen:
        return chosen
    if environ.get(ENVIRONMENT_VARIABLE):
        return environ[ENVIRONMENT_VARIABLE]
    if config_file is not None:
        return os.path.join(os.path.dirname(config_file), CACHE_DIR)
    from flowlint.ignore_files import git_root

    here = cwd or os.getcwd()
    return os.path.join(git_root(here) or here, CACHE_DIR)


def removable(root: str) -> bool:
    """Whether `flowlint clean` may delete `root`: a folder of the cache's own name, or one
    whose marker says flowlint made it. `--cache-dir .` must never cost a project."""
    if os.path.basename(os.path.normpath(root)) == CACHE_DIR or not os.path.lexists(root):
        return True
    try:
        with open(os.path.join(root, ".gitignore"), encoding="utf-8") as marker:
            return marker.readline().rstrip("\n") == "# created by flowlint"
    except (OSError, UnicodeDecodeError):
        return False
