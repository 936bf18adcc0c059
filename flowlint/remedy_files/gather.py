"""The packages that flagged tasks install at every execution, gathered across flow files.

`flowlint image` (docs/kestra.md §6 b) and `flowlint server-requirements` (§6 c) need the same
list the fixes remove: the files are read and checked exactly as `flowlint check` reads them
(config files, excludes, target version, rule options, suppressions), and the installs come
from the kept findings of FL001, FL002, FL003 and, for the server, FL004. Each requirement and
index option is validated before it may be written into a generated file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from flowlint.facts.flow_facts import FlowFacts, TaskInstall
from flowlint.facts.python_scripts import ScriptCall
from flowlint.files import NotARegularFile, files_to_read, read_bytes
from flowlint.findings import Finding
from flowlint.kestra.flow import Task
from flowlint.lang.image_reference import image_reference_problem
from flowlint.lang.installs import Install
from flowlint.lang.printable import visible
from flowlint.lint import Settings, check_flows
from flowlint.source import SourceError, decode
from flowlint.yamlnodes import string_list

# The rules whose findings are installs to bake into an image or install on the worker.
IMAGE_RULES = frozenset({"FL001", "FL002", "FL003", "FL005"})
SERVER_RULES = IMAGE_RULES | {"FL004"}

CONDA_TOOLS = frozenset({"conda", "mamba", "micromamba"})
# Install options that say where packages come from: requirements files take them too.
_INDEX_OPTIONS = {"-i": "--index-url", "--index-url": "--index-url",
                  "--extra-index-url": "--extra-index-url", "-f": "--find-links",
                  "--find-links": "--find-links", "--trusted-host": "--trusted-host",
                  "--no-index": "--no-index", "--pre": "--pre"}
_UV_INDEX_OPTIONS = frozenset({"--index", "--default-index"})
_FLAG_OPTIONS = frozenset({"--no-index", "--pre"})
_VCS = re.compile(r"(git|hg|svn|bzr)\+")
_ARCHIVES = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".zip")
# What a URL or host copied into requirements.txt, a pip command line or a compose file may
# hold: one word of URL characters. No whitespace or control character (a second line: another
# requirement or index option), no quote, '\\', '$' or '`' (pip's line joining and ${VAR}
# expansion, the shell, compose interpolation).
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[A-Za-z0-9._~:/?#\[\]@!&()*+,;=%-]+")
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]+)?")


@dataclass(frozen=True)
class TaskRef:
    """Where a task is, for messages: file, flow and task id."""

    path: str
    namespace: str
    flow: str
    task: str

    def __str__(self) -> str:
        return f"{self.path}: {self.namespace}/{self.flow} task '{self.task}'"


@dataclass(frozen=True)
class TaskRequest:
    """What one task installs on every execution, and the image it runs on today."""

    task: TaskRef
    requirements: tuple[str, ...]   # PEP 508 specifiers or URLs, as written
    options: tuple[str, ...]        # index options as requirements-file lines
    image: str | None               # None when it cannot be told (see image_origin)
    image_origin: str               # where the image comes from, or why there is none


@dataclass
class Gathering:
    requests: list[TaskRequest] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class FileSettings(Protocol):
    """What decides how each file is read: flowlint.settings.SettingsResolver, or one
    Settings for every file (FixedSettings)."""

    def for_path(self, path: str) -> Settings: ...

    def excluded(self, path: str) -> bool: ...


@dataclass(frozen=True)
class FixedSettings:
    settings: Settings

    @classmethod
    def default(cls, target_version: tuple[int, int]) -> FixedSettings:
        """Every rule that gathers installs, with its default parameters."""
        return cls(Settings(SERVER_RULES, target_version))

    def for_path(self, path: str) -> Settings:
        return self.settings

    def excluded(self, path: str) -> bool:
        return False


def gather(paths: Iterable[str], file_settings: FileSettings, rules: frozenset[str],
           excludes: Iterable[str] = ()) -> Gathering:
    """The installs that the kept findings of `rules` report in the flows under `paths`.

    Unreadable files and what cannot be installed ahead of time become problems.
    """
    gathering = Gathering()
    for path in files_to_read(paths, excludes, False, file_settings.excluded):
        settings = file_settings.for_path(path)
        chosen = Settings(settings.rules & rules | {"FL000"}, settings.target_version,
                          settings.parameters, settings.max_bytes,
                          use_suppressions=settings.use_suppressions)
        try:
            gathering.requests.extend(_file_requests(path, chosen, rules == SERVER_RULES,
                                                     gathering.problems))
        except RecursionError:
            gathering.problems.append(f"{visible(path)}: error: nesting is too deep to read")
        except Exception as error:  # noqa: BLE001 - one bad file never stops the others
            gathering.problems.append(f"{visible(path)}: error: internal error "
                                      f"({type(error).__name__}: {error}); please report it")
    return gathering


def _file_requests(path: str, settings: Settings, every_runner: bool,
                   problems: list[str]) -> Iterator[TaskRequest]:
    try:
        source = decode(read_bytes(path), path, settings.max_bytes)
    except NotARegularFile as error:
        problems.append(f"{visible(path)}: error: {error}")
        return
    except OSError as error:
        problems.append(f"{visible(path)}: error: cannot read: {error.strerror or error}")
        return
    except SourceError as error:
        problems.append(f"{visible(path)}: error: {error}")
        return
    checked = check_flows(source, settings)
    for finding in checked.result.findings:
        if finding.rule == "FL000":
            line, column = source.position(finding.span.start)
            rest = "flow not read" if "duplicate key" in finding.message \
                else "the rest of the file is not read"
            problems.append(f"{visible(path)}:{line}:{column}: {finding.message}; {rest}")
    for facts, findings in checked.kept_by_flow():
        yield from _flow_requests(facts, findings, every_runner, problems)


def _flow_requests(facts: FlowFacts, findings: list[Finding], every_runner: bool,
                   problems: list[str]) -> Iterator[TaskRequest]:
    installs: dict[int, list[tuple[Install, str]]] = {}
    legacy: set[int] = set()
    for finding in findings:
        detail = finding.detail
        if isinstance(detail, TaskInstall):
            if not (every_runner or detail.runner.starts_container):
                continue   # an image serves the tasks that run in a container
            installs.setdefault(id(detail.task), []).append((detail.located.install,
                                                             detail.located.text))
        elif isinstance(detail, Task):   # FL002: the legacy task and its `requirements`
            legacy.add(id(detail))
        elif isinstance(detail, ScriptCall):   # FL003: the installs one script call runs
            for site in detail.sites:
                task = site.analysis.script.task
                # An image serves the tasks that run in a container; the server serves all.
                if every_runner or facts.runner(task).starts_container:
                    installs.setdefault(id(task), []).append((site.install, site.found.code))
    flow = facts.flow
    for task in flow.tasks:
        if id(task) not in installs and id(task) not in legacy:
            continue
        ref = TaskRef(flow.source.path, flow.namespace, flow.id, task.id)
        requirements: list[str] = []
        options: list[str] = []
        if id(task) in legacy:
            _legacy_requirements(task, ref, requirements, options, problems)
        for install, text in installs.get(id(task), []):
            _install_requirements(install, text, ref, requirements, options, problems)
        if requirements or options:
            image, origin = _base_image(facts, task)
            yield TaskRequest(ref, tuple(requirements), tuple(options), image, origin)


def _base_image(facts: FlowFacts, task: Task) -> tuple[str | None, str]:
    """The image to build from, and where it comes from (or why there is none)."""
    image = facts.image(task)
    if image.reference is None:
        return None, image.origin
    problem = image_reference_problem(image.reference)
    if problem is not None:
        # It would become the Dockerfile's FROM line: only a plain reference goes there.
        return None, f"{image.origin} '{image.reference}' is not an image reference: {problem}"
    return image.reference, image.origin


def _install_requirements(install: Install, text: str, ref: TaskRef, requirements: list[str],
                          options: list[str], problems: list[str]) -> None:
    if install.upgrades_pip_only:
        return
    where = f"{ref}: '{text}'"
    if install.tool in CONDA_TOOLS:
        problems.append(f"{where} installs conda packages, not pip ones: add them by hand")
        return
    for name in install.requirement_files:
        problems.append(f"{where} reads requirements file '{name}' (-r): copy its content "
                        "into the requirements by hand")
    for name in install.constraint_files:
        problems.append(f"{where} reads constraints file '{name}' (-c): apply it by hand")
    for name in install.editables:
        problems.append(f"{where} installs '{name}' in editable mode (-e) from the task's "
                        "files: it cannot be installed ahead of the run")
    for name in install.local_paths:
        problems.append(f"{where} installs the local path '{name}' from the task's files: "
                        "it cannot be installed ahead of the run")
    for spec in (*install.packages, *install.urls):
        _add_requirement(spec, where, requirements, problems)
    for name, value in install.options:
        _add_option(name, value, where, options, problems)
    nothing = not (install.packages or install.urls or install.requirement_files
                   or install.editables or install.local_paths)
    if nothing and install.tool in ("poetry", "pipenv"):
        problems.append(f"{where} installs what the project file (pyproject.toml, Pipfile) "
                        "lists: add those packages by hand")


def _legacy_requirements(task: Task, ref: TaskRef, requirements: list[str],
                         options: list[str], problems: list[str]) -> None:
    """Lines of a legacy `requirements` list, which uses requirements.txt syntax."""
    for line in string_list(task.prop("requirements")):
        line = re.split(r"\s+#", line, maxsplit=1)[0].strip()
        where = f"{ref}: requirements line '{line}'"
        if not line or line.startswith("#"):
            continue
        if not line.startswith("-"):
            if line.startswith((".", "/", "~")) or (line.endswith(_ARCHIVES)
                                                    and "://" not in line):
                problems.append(f"{where} is a local path: it cannot be installed ahead of "
                                "the run")
            else:
                _add_requirement(line, where, requirements, problems)
            continue
        name, value = _split_option(line)
        if name in ("-r", "--requirement"):
            problems.append(f"{where} reads a requirements file: copy its content into the "
                            "requirements by hand")
        elif name in ("-c", "--constraint"):
            problems.append(f"{where} reads a constraints file: apply it by hand")
        elif name in ("-e", "--editable"):
            problems.append(f"{where} is an editable install: it cannot be installed ahead "
                            "of the run")
        else:
            _add_option(name, value or None, where, options, problems)


def _split_option(line: str) -> tuple[str, str]:
    """'--index-url=X', '--index-url X', '-iX' or '-i X' -> (name, value)."""
    first, _, rest = line.partition(" ")
    if first.startswith("--"):
        name, eq, attached = first.partition("=")
        return name, attached if eq else rest.strip()
    if len(first) > 2:
        return first[:2], first[2:]
    return first, rest.strip()


def _add_requirement(spec: str, where: str, requirements: list[str],
                     problems: list[str]) -> None:
    spec = spec.strip()
    problem = _requirement_problem(spec)
    if problem is not None:
        problems.append(f"{where}: '{spec}' {problem}")
    elif is_url(spec) or canonicalize_name(Requirement(spec).name) != "pip":
        requirements.append(spec)


def _requirement_problem(spec: str) -> str | None:
    """Why `spec` is not written as one requirements.txt line, or None when it is."""
    if "{{" in spec or "{%" in spec:
        return "is a Pebble expression, known only at run time: it cannot be installed " \
            "ahead of the run"
    if "$" in spec or "`" in spec:
        return "is expanded by the shell at run time: it cannot be installed ahead of the run"
    odd = _control_character(spec)
    if odd is not None:
        return f"holds the unprintable character {odd!r}, which no requirement has: left out"
    if is_url(spec):
        return None if _URL.fullmatch(spec) else "is not a URL of one word; add it by hand"
    requirement = parse_requirement(spec)
    if requirement is None:
        return "is not a requirement specifier; add it by hand"
    option = next((word for word in spec.split() if word.startswith("-")), None)
    if option is not None:
        # pip reads a requirements line's words from the first '-' on as options.
        return f"has the word '{option}', which pip reads as an option; add it by hand"
    if requirement.url is not None and not _URL.fullmatch(requirement.url):
        return f"has the URL '{requirement.url}', which is not one word; add it by hand"
    return None


def _control_character(text: str) -> str | None:
    """The first character that is not printable (a line break, tab, NUL, ...), if any."""
    return next((char for char in text if not char.isprintable()), None)


def _add_option(name: str, value: str | None, where: str, options: list[str],
                problems: list[str]) -> None:
    if name in _UV_INDEX_OPTIONS:
        problems.append(f"{where}: uv option '{name}' has no requirements-file form: add the "
                        "index by hand")
        return
    canonical = _INDEX_OPTIONS.get(name)
    if canonical is None:
        return   # where and how to install (-U, --user, --target...) is the remedy's choice
    if canonical in _FLAG_OPTIONS:
        options.append(canonical)
    elif value and ("{{" in value or "{%" in value or "$" in value):
        problems.append(f"{where}: '{name} {value}' is known only at run time: add it by hand")
    elif value:
        problem = _option_value_problem(canonical, value)
        if problem is None:
            options.append(f"{canonical} {value}")
        else:
            problems.append(f"{where}: '{name} {value}': {problem}")


def _option_value_problem(option: str, value: str) -> str | None:
    """Why `value` is not written after `option` in requirements.txt, or None when it is."""
    odd = _control_character(value)
    if odd is not None:
        return f"the value holds the unprintable character {odd!r}: left out"
    if option == "--trusted-host":
        return None if _HOST.fullmatch(value) else \
            "the value is not a host name with an optional port; add it by hand"
    return None if _URL.fullmatch(value) else "the value is not a URL of one word; add it by hand"


def is_url(spec: str) -> bool:
    return "://" in spec.split("@", 1)[0] or bool(_VCS.match(spec))


def parse_requirement(spec: str) -> Requirement | None:
    try:
        return Requirement(spec)
    except InvalidRequirement:
        return None
