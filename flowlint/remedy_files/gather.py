"""The packages that flagged tasks install at every execution, gathered across flow files.

`flowlint image` (docs/kestra.md §6 b) and `flowlint server-requirements` (§6 c) need the same
list the fixes remove: the files are read and checked exactly as `flowlint check` reads them
(config files, excludes, target version, rule options, suppressions), and the installs come
from the kept findings of FL001, FL002, FL003 and, for the server, FL004. Each requirement and
index option is validated before it may be written into a generated file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from flowlint.facts.flow_facts import FlowFacts, TaskInstall
from flowlint.facts.python_scripts import ScriptCall
from flowlint.files import FileTooLarge, NotARegularFile, files_to_read, read_bytes
from flowlint.findings import Finding
from flowlint.kestra.flow import Task
from flowlint.lang.image_reference import image_reference_problem
from flowlint.lang.installs import Install
from flowlint.lang.printable import visible
from flowlint.lint import CheckedSource, Settings, check_flows
from flowlint.records import NamedTuple
from flowlint.remedies.fix_options import FixOptions
from flowlint.remedies.image_packages import (
    ECOSYSTEM_LABELS,
    ImagePackages,
    PackageList,
)
from flowlint.remedies.image_record import ImageRecord, find_records
from flowlint.remedies.install_args import index_setting
from flowlint.rules.fl009_package_install_per_execution import PackageInstall
from flowlint.run.fix_loop import fix_source
from flowlint.source import SourceError, decode
from flowlint.yamlnodes import string_list

FixKey = tuple[str, int | None, str | None]   # rule, document, task id

# The rules whose findings are installs to bake into an image or install on the worker.
IMAGE_RULES = frozenset({"FL001", "FL002", "FL003", "FL005", "FL009"})
SERVER_RULES = frozenset({"FL001", "FL002", "FL003", "FL004", "FL005"})

class TaskRef(NamedTuple):
    """Where a task is, for messages: file, flow and task id."""

    path: str
    namespace: str
    flow: str
    task: str

    def __str__(self) -> str:
        return f"{self.path}: {self.namespace}/{self.flow} task '{self.task}'"


class TaskRequest(NamedTuple):
    """What one task installs on every execution, and the image it runs on today."""

    task: TaskRef
    packages: ImagePackages
    image: str | None               # None when it cannot be told (see image_origin)
    image_origin: str               # where the image comes from, or why there is none

    @property
    def requirements(self) -> tuple[str, ...]:
        """PEP 508 specifiers or URLs, as written."""
        return self.packages.requirements

    @property
    def options(self) -> tuple[str, ...]:
        """Index options as requirements-file lines."""
        return self.packages.options


class RecordedTask(NamedTuple):
    """A task the custom-image fix pointed at a new image, from the note it left there."""

    task: TaskRef
    record: ImageRecord


class Gathering:
    """The tasks and records read from the files, and what could not be read."""

    __slots__ = ("requests", "records", "problems", "unread")

    def __init__(self) -> None:
        self.requests: list[TaskRequest] = []
        self.records: list[RecordedTask] = []
        self.problems: list[str] = []
        self.unread = 0     # files and folders that could not be read: the command exits 2

    def error(self, path: str, why: str) -> None:
        self.problems.append(f"{visible(path)}: error: {why}")
        self.unread += 1


class FileSettings(Protocol):
    """What decides how each file is read: flowlint.settings.SettingsResolver, or one
    Settings for every file (FixedSettings)."""

    def for_path(self, path: str) -> Settings: ...

    def excluded(self, path: str) -> bool: ...


class FixedSettings(NamedTuple):
    settings: Settings

    @classmethod
    def default(cls, target_version: tuple[int, int]) -> FixedSettings:
        """Every rule that gathers installs, with its default parameters."""
        return cls(Settings(IMAGE_RULES | SERVER_RULES, target_version))

    def for_path(self, path: str) -> Settings:
        return self.settings

    def excluded(self, path: str) -> bool:
        return False


def gather(paths: Iterable[str], file_settings: FileSettings, rules: frozenset[str],
           excludes: Iterable[str] = (), image_template: str | None = None) -> Gathering:
    """The installs that the kept findings of `rules` report in the flows under `paths`,
    those the remedy's fix would move: custom-image for IMAGE_RULES (named by
    `image_template`, else each file's fix.image), process-runner for SERVER_RULES.

    Unreadable files, what cannot be installed ahead of time and what the fix refuses
    become problems.
    """
    gathering = Gathering()
    unlisted: list[tuple[str, str]] = []
    strategy = "custom-image" if rules == IMAGE_RULES else "process-runner"
    for path in files_to_read(paths, excludes, False, file_settings.excluded, unlisted):
        settings = file_settings.for_path(path)
        template = image_template or (settings.fix.image if settings.fix else None)
        fix = FixOptions(strategy, template) if template or strategy == "process-runner" \
            else None
        chosen = Settings(settings.rules & rules | {"FL000"}, settings.target_version,
                          settings.parameters, settings.max_bytes, fix,
                          use_suppressions=settings.use_suppressions)
        try:
            _read_file(path, chosen, rules, gathering)
        except RecursionError:
            gathering.error(path, "nesting is too deep to read")
        except Exception as error:  # noqa: BLE001 - one bad file never stops the others
            gathering.error(path, f"internal error ({type(error).__name__}: {error}); please "
                            "report it")
    for folder, why in unlisted:
        gathering.error(folder, why)
    return gathering


def _read_file(path: str, settings: Settings, rules: frozenset[str],
               gathering: Gathering) -> None:
    problems = gathering.problems
    try:
        source = decode(read_bytes(path, settings.max_bytes), path, settings.max_bytes)
    except (NotARegularFile, FileTooLarge) as error:
        gathering.error(path, str(error))
        return
    except OSError as error:
        gathering.error(path, f"cannot read: {error.strerror or error}")
        return
    except SourceError as error:
        gathering.error(path, str(error))
        return
    checked = check_flows(source, settings)
    for finding in checked.result.findings:
        if finding.rule == "FL000":
            line, column = source.position(finding.span.start)
            rest = "flow not read" if "duplicate key" in finding.message \
                else "the rest of the file is not read"
            problems.append(f"{visible(path)}:{line}:{column}: {finding.message}; {rest}")
    every_runner = rules == SERVER_RULES
    refused = _refused(checked, settings)
    told: set[FixKey] = set()
    for facts, findings in checked.kept_by_flow():
        moved = []
        for finding in findings:
            reason = refused.get((finding.rule, finding.document, finding.task_id))
            if reason is None:
                moved.append(finding)
            elif finding.task_id is not None and \
                    (finding.rule, finding.document, finding.task_id) not in told:
                problems.append(f"{_ref(facts, finding.task_id)}: {finding.rule} not "
                                f"gathered: the {settings.fix.strategy} fix leaves this "
                                f"install in place: {reason}")
                told.add((finding.rule, finding.document, finding.task_id))
        gathering.requests.extend(_flow_requests(facts, moved, every_runner, problems))
    if rules == IMAGE_RULES:
        gathering.records.extend(_records(path, source.text, [facts for facts, _ in
                                                              checked.flows], problems))


def _refused(checked: CheckedSource, settings: Settings) -> dict[FixKey, str]:
    """The findings whose fix (by the strategy in `settings`) is refused, when planned or
    when verified, with the reason: their installs stay in the flow, so the generated files
    must not claim them."""
    if settings.fix is None:
        return {}
    refused: dict[FixKey, str] = {}
    for finding in checked.result.findings:
        outcome = finding.fix_outcome
        if outcome is not None and not outcome.applicable:
            refused[(finding.rule, finding.document, finding.task_id)] = outcome.reason
    run = fix_source(checked.result.source, settings, unsafe=True)
    for (rule, task_id, document), reason in run.failed.items():
        refused.setdefault((rule, document, task_id), reason)
    return refused


def _records(path: str, text: str, flows: list[FlowFacts],
             problems: list[str]) -> Iterator[RecordedTask]:
    """The notes the custom-image fix left, each checked against the task it names: it must
    be in the file and still run the image the note names."""
    for found in find_records(text):
        where = f"{visible(path)}:{found.line}: flowlint-image note"
        if found.record is None:
            problems.append(f"{where}: {found.problem}; left out")
            continue
        record = found.record
        task = next(((facts, task) for facts in flows for task in facts.tasks
                     if record.is_for(facts.flow.namespace, facts.flow.id, task.id)), None)
        if task is None:
            problems.append(f"{where} names task '{record.task}' of {record.namespace}/"
                            f"{record.flow}, which is not in this file; left out (remove it)")
            continue
        facts, found_task = task
        image = facts.image(found_task).reference
        if image != record.image:
            problems.append(f"{where}: task '{record.task}' runs '{image}', not '{record.image}' "
                            "the note names; left out (remove it)")
            continue
        yield RecordedTask(TaskRef(path, record.namespace, record.flow, record.task), record)


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
            if every_runner or facts.runner(detail).starts_container:
                legacy.add(id(detail))
            else:   # as the custom-image fix of FL002 refuses it
                problems.append(f"{_ref(facts, detail)}: runs on the worker (runner PROCESS): "
                                "there is no image to build a new one FROM; its packages are "
                                "not gathered")
        elif isinstance(detail, ScriptCall):   # FL003: the installs one script call runs
            for site in detail.sites:
                task = site.analysis.script.task
                # An image serves the tasks that run in a container; the server serves all.
                if every_runner or facts.runner(task).starts_container:
                    installs.setdefault(id(task), []).append((site.install, site.found.code))
        elif isinstance(detail, PackageInstall):   # FL009: other ecosystems, in a container
            ref = _ref(facts, detail.task)
            if detail.located is None:
                label = ECOSYSTEM_LABELS.get(detail.ecosystem, detail.ecosystem)
                problems.append(f"{ref}: '{detail.text}' installs {label} packages "
                                "from the task's script, which `flowlint image` does not bake "
                                "into images")
            else:
                installs.setdefault(id(detail.task), []).append((detail.located.install,
                                                                 detail.text))
    for task in facts.flow.tasks:
        if id(task) not in installs and id(task) not in legacy:
            continue
        ref = _ref(facts, task)
        listed = PackageList()
        if id(task) in legacy:
            for line in string_list(task.prop("requirements")):
                listed.add_requirements_line(line, f"{ref}: requirements line '{line.strip()}'")
        for install, text in installs.get(id(task), []):
            listed.add_install(install, f"{ref}: '{text}'")
        problems.extend(listed.problems)
        packages = listed.packages()
        setting = index_setting(task)
        if packages and setting is not None:
            problems.append(f"{ref}: {setting}, which may name the index its packages come "
                            "from: not gathered; add them, with that index, by hand")
        elif packages:
            image, origin = _base_image(facts, task)
            yield TaskRequest(ref, packages, image, origin)


def _ref(facts: FlowFacts, task: Task | str) -> TaskRef:
    flow = facts.flow
    return TaskRef(flow.source.path, flow.namespace, flow.id,
                   task if isinstance(task, str) else task.id)


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
