"""PEP 508 requirements: parsing them, and the canonical name of a distribution."""

from __future__ import annotations

import re
from functools import lru_cache

_SEPARATORS = re.compile(r"[-_.]+")


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


def requirement_name(spec: str) -> str | None:
    """Canonical distribution name of a PEP 508 requirement, or None if it does not parse."""
    requirement = parse_requirement(spec)
    return canonical_name(requirement.name) if requirement is not None else None
