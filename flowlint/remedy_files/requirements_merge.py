"""Merging the requirements of many tasks into one requirements.txt: duplicates joined, extras
kept, conflicting pins and index URLs reported (the first one is kept)."""

from __future__ import annotations

from collections.abc import Iterable

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from flowlint.lang.printable import visible
from flowlint.lang.requirements import parse_requirement
from flowlint.records import NamedTuple
from flowlint.remedies.image_packages import is_url
from flowlint.remedy_files.gather import TaskRef, TaskRequest


class MergedRequirements(NamedTuple):
    requirements: tuple[str, ...]   # one per package, sorted by canonical name
    options: tuple[str, ...]        # index options, sorted
    text: str                       # requirements.txt: options, then requirements
    problems: tuple[str, ...]


class _Wanted(NamedTuple):
    text: str
    task: TaskRef
    requirement: Requirement | None   # None for a bare URL (git+https://...)

    @property
    def pin(self) -> tuple[str, str]:
        """What must agree between two requests of a package: specifiers and URL."""
        if self.requirement is None:
            return "", self.text
        return str(self.requirement.specifier), self.requirement.url or ""

    @property
    def marker(self) -> str:
        marker = self.requirement.marker if self.requirement else None
        return str(marker) if marker else ""

    def agrees(self, other: _Wanted) -> bool:
        """Identical pins, or one unpinned: both are met by the pinned one."""
        return self.marker == other.marker and (
            self.pin == other.pin or not any(self.pin) or not any(other.pin))


def merge_requirements(requests: Iterable[TaskRequest], scope: str = "") -> MergedRequirements:
    """Duplicates merged; different pins of one package are problems, the first one kept."""
    groups: dict[str, list[_Wanted]] = {}
    option_refs: dict[str, list[TaskRef]] = {}
    for request in requests:
        for text in request.requirements:
            requirement = None if is_url(text) else parse_requirement(text)
            key = canonicalize_name(requirement.name) if requirement else f"~{text}"
            groups.setdefault(key, []).append(_Wanted(text, request.task, requirement))
        for option in request.options:
            option_refs.setdefault(option, []).append(request.task)
    problems: list[str] = []
    lines: list[str] = []
    options = _merge_options(option_refs, scope, problems, lines)
    requirements = []
    for key in sorted(groups):
        line, comments = _merge_group(groups[key], scope, problems)
        lines.extend(comments)
        lines.append(line)
        requirements.append(line)
    text = "\n".join(lines) + "\n" if lines else ""
    return MergedRequirements(tuple(requirements), options, text, tuple(problems))


def _merge_group(wanted: list[_Wanted], scope: str,
                 problems: list[str]) -> tuple[str, list[str]]:
    kept = wanted[0]
    for candidate in wanted[1:]:
        if kept.agrees(candidate) and not any(kept.pin) and any(candidate.pin):
            kept = candidate
    line = _render(kept, wanted)
    others: dict[str, list[TaskRef]] = {}
    for candidate in wanted:
        if not kept.agrees(candidate):
            others.setdefault(_render(candidate, [candidate]), []).append(candidate.task)
    if not others:
        return line, []
    name = kept.requirement.name if kept.requirement else kept.text
    supporters = _refs(item.task for item in wanted if kept.agrees(item))
    comments = []
    for other, refs in others.items():
        problems.append(f"conflicting requirements for '{name}'{scope}: '{line}' "
                        f"({supporters}) and '{other}' ({_refs(refs)}); the requirements "
                        f"keep '{line}'")
        comments.append(visible(f"# conflict: '{other}' is wanted by {_refs(refs)}; "
                                f"keeping '{line}'"))
    return line, comments


def _render(kept: _Wanted, wanted: list[_Wanted]) -> str:
    """The kept requirement with the extras any request of the package asked for."""
    if kept.requirement is None:
        return kept.text
    requirement = Requirement(str(kept.requirement))
    for item in wanted:
        if item.requirement is not None:
            requirement.extras |= item.requirement.extras
    return str(requirement)


def _merge_options(option_refs: dict[str, list[TaskRef]], scope: str, problems: list[str],
                   lines: list[str]) -> tuple[str, ...]:
    """Index options, with one --index-url: a second one is a conflict."""
    kept: list[str] = []
    index_url: str | None = None
    for option, refs in option_refs.items():
        if option.startswith("--index-url "):
            if index_url is not None:
                problems.append(f"conflicting index URLs{scope}: '{index_url}' "
                                f"({_refs(option_refs[index_url])}) and '{option}' "
                                f"({_refs(refs)}); the requirements keep '{index_url}'")
                lines.append(visible(f"# conflict: '{option}' is wanted by {_refs(refs)}; "
                                     f"keeping '{index_url}'"))
                continue
            index_url = option
        kept.append(option)
    kept.sort()
    lines.extend(kept)
    return tuple(kept)


def _refs(refs: Iterable[TaskRef]) -> str:
    return "; ".join(str(ref) for ref in dict.fromkeys(refs))
