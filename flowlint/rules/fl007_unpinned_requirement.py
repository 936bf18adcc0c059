"""FL007: a Python requirement installed without an exact version (`==` or `===`).

What is not a finding: option values (`-i URL`), installs under a constraints file (`-c`, or
PIP_CONSTRAINT in the task's env), requirement files (`-r`: flowlint cannot see inside), local
paths and wheels, URLs of archives, Pebble expressions, and pip itself. A VCS URL counts as
pinned when it names a ref (`@v1.2`, `@<commit>`), except the usual branch names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from ruamel.yaml.nodes import SequenceNode

from flowlint.facts.flow_facts import FlowFacts
from flowlint.findings import Finding, Span, shorten
from flowlint.kestra import plugin_types
from flowlint.kestra.flow import Task
from flowlint.lang.requirements import parse_requirement, requirement_name
from flowlint.records import NamedTuple
from flowlint.source import Source
from flowlint.yamlnodes import get, node_span, scalar_offset, scalar_text

CODE = "FL007"
NAME = "unpinned-requirement"
DEFAULT_INSTALLERS = ("pip", "uv", "pipenv", "poetry")
DEFAULT_IGNORED = ("pip",)
_VCS = re.compile(r"^(?:git|hg|svn|bzr)\+", re.IGNORECASE)
_MOVING_REFS = frozenset({"main", "master", "develop", "dev", "head", "trunk", "default"})


class Requested(NamedTuple):
    """One requirement as written, where it is written, and in which task."""

    task: Task
    text: str
    span: Span
    where: str     # beforeCommands, commands, script, dependencies, requirements
    origin: str    # task, default, forced-default
    key: tuple[int, int]   # the YAML node and the offset in its value: one per written place


def check(facts: FlowFacts, parameters: Mapping[str, object]) -> Iterator[Finding]:
    installers = set(parameters.get("installers", DEFAULT_INSTALLERS))  # type: ignore[arg-type]
    ignored = {name.lower() for name in
               parameters.get("ignored_packages", DEFAULT_IGNORED)}  # type: ignore[union-attr]
    reported: set[tuple[int, int]] = set()   # a pluginDefaults entry is shared by its tasks
    for requested in requested_requirements(facts, installers):
        if requested.key in reported:
            continue
        problem = unpinned_problem(requested.text, ignored)
        if problem is None:
            continue
        reported.add(requested.key)
        where = requested.where + (" (from pluginDefaults)" if requested.origin != "task"
                                   else "")
        what, remedy = problem
        yield Finding(
            CODE,
            requested.span,
            f"'{shorten(requested.text)}' in {where} of '{requested.task.id}' {what}",
            task_id=requested.task.id,
            yaml_path=f"{requested.task.path}.{requested.where}",
            help=remedy,
            detail=requested,
        )


def requested_requirements(facts: FlowFacts, installers: set[str]) -> Iterator[Requested]:
    for task in facts.tasks:
        if task.script_kind is None:
            continue
        yield from _from_commands(facts, task, installers)
        key = "requirements" if task.type == plugin_types.LEGACY_PYTHON else "dependencies"
        yield from _from_list(facts.source, task, key)


def _from_commands(facts: FlowFacts, task: Task, installers: set[str]) -> Iterator[Requested]:
    if scalar_text(get(task.prop("env"), "PIP_CONSTRAINT")):
        return
    for located in facts.installs(task):
        install = located.install
        if install.ecosystem != "python" or install.tool not in installers \
                or install.constraint_files:
            continue
        wanted = set(install.packages) | set(install.urls)
        node = located.command.node
        for word in install.command.words[1:]:
            if word.text not in wanted or word.text.startswith("-"):
                continue
            start = scalar_offset(facts.source, node, word.start)
            end = scalar_offset(facts.source, node, max(word.end - 1, word.start)) + 1
            yield Requested(task, word.text, Span(start, max(start, end)),
                            located.command.field, located.command.origin,
                            (id(node), word.start))


def _from_list(source: Source, task: Task, key: str) -> Iterator[Requested]:
    prop = task.properties.get(key)
    if prop is None or not isinstance(prop.node, SequenceNode):
        return
    items = [(item, scalar_text(item)) for item in prop.node.value]
    lines = [text.strip() for _, text in items if text]
    if any(line.startswith(("-c", "--constraint")) for line in lines):
        return   # a constraints file pins everything the list installs
    for item, text in items:
        if text and not text.strip().startswith("-"):
            yield Requested(task, text.strip(), node_span(source, item), key, prop.origin,
                            (id(item), 0))


def unpinned_problem(spec: str, ignored: set[str]) -> tuple[str, str] | None:
    """Why a requirement is not pinned and what to do, or None when it is (or flowlint
    cannot tell)."""
    if "{{" in spec or "{%" in spec or spec.startswith((".", "/", "~")):
        return None
    if _VCS.match(spec):
        return _vcs_problem(spec)
    if "://" in spec and " @ " not in spec:
        return None   # an archive URL names one file
    requirement = parse_requirement(spec)
    if requirement is None:
        return None   # `pkg==$VERSION`, a conda spec, a local file: not ours to judge
    if requirement.name.lower() in ignored or requirement_name(spec) in ignored:
        return None
    if requirement.url:
        return _vcs_problem(requirement.url) if _VCS.match(requirement.url) else None
    specifiers = list(requirement.specifier)
    if any(item.operator == "===" or (item.operator == "==" and not item.version.endswith("*"))
           for item in specifiers):
        return None
    if not specifiers:
        return ("has no version pin",
                "cached environments and images drift to the newest release; pin it with ==")
    return ("names a range of versions, not one",
            "cached environments and images drift; pin an exact version with ==")


def _vcs_problem(url: str) -> tuple[str, str] | None:
    rest = _VCS.sub("", url).split("#", 1)[0]
    scheme, sep, after = rest.partition("://")
    location = after if sep else rest
    # The ref follows the path; an `@` before the first `/` is a user name (git@github.com).
    path = location.split("/", 1)[1] if "/" in location else location.split(":", 1)[-1]
    ref = path.rsplit("@", 1)[1] if "@" in path else ""
    if not ref:
        return ("installs the head of the repository's default branch, which moves",
                "add @<tag or commit> to the URL")
    if ref.lower() in _MOVING_REFS:
        return f"installs the branch '{ref}', which moves", "use a tag or a commit instead"
    return None
