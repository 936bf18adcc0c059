"""PEP 508 requirements: parsing them, and the canonical name of a distribution."""

from __future__ import annotations

import re
from functools import lru_cache

_SEPARATORS = re.compile(r"[-_.]+")
# A bare name or plain release bounds (`pandas`, `requests==2.32.3`, `numpy>=1.26,<3`): what
# nearly every install names, and what packaging reads as this name for certain. Anything
# else (extras, markers, URLs, `~=`, wildcards, pre-releases, spaces) goes to packaging, whose
# import costs 20 to 40 ms of start-up. tests/test_imports.py checks that the two agree.
_BOUND = r"(?:===?|!=|<=?|>=?)[0-9]+(?:\.[0-9]+)*"
_SIMPLE = re.compile(rf"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(?:{_BOUND}(?:,{_BOUND})*)?")


@lru_cache(maxsize=4096)   # asked about the same few names thousands of times a run
def canonical_name(name: str) -> str:
    """A distribution name normalised as PEP 503 says (`Foo_Bar` -> `foo-bar`)."""
    return _SEPARATORS.sub("-", name).lower()


@lru_cache(maxsize=4096)
def parse_requirement(spec: str):  # noqa: ANN201 - packaging's Requirement, imported lazily
    """A PEP 508 requirement, or None when it does not parse.

    `packaging` is imported on first use: it costs about 20 ms of start-up, and files
    without installs never need it.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return Requirement(spec)
    except (InvalidRequirement, ValueError):
        return None


def written_name(spec: str) -> str | None:
    """The distribution name of a PEP 508 requirement as written, or None if it does not
    parse (packaging is imported only for requirements that are more than a name and plain
    version bounds)."""
    simple = _SIMPLE.fullmatch(spec)
    if simple is not None:
        return simple.group(1)
    requirement = parse_requirement(spec)
    return requirement.name if requirement is not None else None


def requirement_name(spec: str) -> str | None:
    """Canonical distribution name of a PEP 508 requirement, or None if it does not parse."""
    name = written_name(spec)
    return canonical_name(name) if name is not None else None
