"""What Python packages bring along, from their own metadata: the programs they put on PATH,
the modules they provide and the distributions every install pulls in.

The data (package_metadata.json) is generated from the wheels on the package index by
flowlint.lang.package_index and read on first use. A distribution that is not in it is
unknown: callers fall back to their own small tables or make no claim.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from flowlint.lang.requirements import canonical_name
from flowlint.records import NamedTuple

_DATA = Path(__file__).with_name("package_metadata.json")


class PackageMetadata(NamedTuple):
    version: str                  # the release the data was read from
    programs: frozenset[str]      # console and GUI scripts
    modules: tuple[str, ...]      # top-level import names
    requires: frozenset[str]      # canonical names of what every install brings along


@lru_cache(maxsize=1)
def _table() -> dict[str, PackageMetadata]:
    raw = json.loads(_DATA.read_text(encoding="utf-8"))
    return {name: PackageMetadata(entry["version"], frozenset(entry["programs"]),
                                  tuple(entry["modules"]), frozenset(entry["requires"]))
            for name, entry in raw.items()}


def metadata(distribution: str) -> PackageMetadata | None:
    return _table().get(canonical_name(distribution))


def installed_with(distributions: Iterable[str]) -> set[str]:
    """The distributions and everything installing them brings along (as far as known)."""
    pending = [canonical_name(name) for name in distributions]
    found: set[str] = set()
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found.add(name)
        known = metadata(name)
        if known is not None:
            pending.extend(known.requires)
    return found


def program_sources(distributions: Iterable[str]) -> dict[str, str]:
    """Program -> the distribution that provides it, for everything installing
    `distributions` puts on PATH (their dependencies' programs included: dbt-duckdb brings
    dbt-core, which provides `dbt`)."""
    sources: dict[str, str] = {}
    for name in sorted(installed_with(distributions)):
        known = metadata(name)
        for program in known.programs if known else ():
            sources.setdefault(program, name)
    return sources
