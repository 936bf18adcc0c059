"""FL010: a Python script imports a module its task does not install, or the reverse.

What a task installs: Python installs in its shell commands, `dependencies`, the legacy
`requirements`, installs the script runs itself (FL003), and the image when flowlint knows what
the image holds. A module is only called missing when that picture is complete: the task names
at least one package, none of its installs is open-ended (`-r`, a URL, Pebble), the runner
starts from a known image or a fresh virtualenv, and no namespace files can add modules. A
package is only called unused when all the task's Python code is in the flow.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping

from ruamel.yaml.nodes import MappingNode, SequenceNode

from flowlint.facts.flow_facts import FlowFacts
from flowlint.findings import Finding, Span, listed
from flowlint.kestra import plugin_types
from flowlint.kestra.flow import Task
from flowlint.kestra.task_shell import command_texts
from flowlint.lang import shell
from flowlint.lang.installs import Install, find_installs
from flowlint.lang.requirements import written_name
from flowlint.records import TYPE_CHECKING, NamedTuple
from flowlint.source import Source
from flowlint.yamlnodes import (
    get,
    is_true,
    mapping_items,
    node_span,
    scalar_offset,
    scalar_text,
)

# The script analysers and the package metadata (flowlint.lang.distributions) load with the
# first Python script: a flow without one checks nothing here.
if TYPE_CHECKING:
    from flowlint.facts.python_scripts import ScriptAnalysis

CODE = "FL010"
NAME = "import-not-installed"
_STDLIB = frozenset(sys.stdlib_module_names) | {"__main__", "__future__"}
_SYSTEM_PYTHON_PACKAGE = ("python", "py3-", "py-")   # apt python3-x, apk py3-x


class Installed(NamedTuple):
    name: str        # as written, without version or extras
    canonical: str
    span: Span
    where: str       # beforeCommands, dependencies, requirements, script


class Environment:
    """What a task's Python can import: the installs, and the image or virtualenv under them."""

    __slots__ = ("installed", "open_ended", "base", "base_label")

    def __init__(self, installed: list[Installed], open_ended: bool,
                 base: frozenset[str] | None, base_label: str) -> None:
        self.installed = installed
        self.open_ended = open_ended   # some install adds packages flowlint cannot name
        self.base = base               # what the image or virtualenv holds; None: unknown
        self.base_label = base_label

def check(facts: FlowFacts, parameters: Mapping[str, object]) -> Iterator[Finding]:
    by_task: dict[int, list[ScriptAnalysis]] = {}
    for analysis in facts.script_analyses:
        by_task.setdefault(id(analysis.script.task), []).append(analysis)
    for analyses in by_task.values():
        task = analyses[0].script.task
        environment = _environment(facts, task, analyses)
        # A task that installs nothing has no finding here (none missing among no packages,
        # none unused): its scripts are not even parsed.
        if environment.installed and all(analysis.parses for analysis in analyses):
            yield from _check_task(task, analyses, environment)


def _check_task(task: Task, analyses: list[ScriptAnalysis],
                environment: Environment) -> Iterator[Finding]:
    from flowlint.lang import distributions

    local = _local_modules(task)
    named = [item for item in environment.installed if item.canonical not in distributions.TOOLING]
    if named and local is not None and environment.base is not None \
            and not environment.open_ended:
        yield from _missing(task, analyses, environment, local)
    if local is not None and _imports_packages(analyses, local) \
            and _all_code_visible(task, analyses):
        yield from _unused(task, analyses, environment)


# ----------------------------------------------------------------------------- imported, missing

def _missing(task: Task, analyses: list[ScriptAnalysis], environment: Environment,
             local: set[str]) -> Iterator[Finding]:
    from flowlint.lang import distributions

    present = distributions.with_requirements(
        {item.canonical for item in environment.installed} | set(environment.base or ()))
    provided = {module for name in present for module in distributions.modules_of(name)}
    reported: set[str] = set()
    # Made once, and bounded: it is repeated in each finding of the task.
    installs = listed(sorted({item.name for item in environment.installed}))
    for analysis in analyses:
        for module in analysis.code.imports:
            name = module.name
            if (module.optional or name in reported or name in _STDLIB or name in local
                    or name in provided):
                continue
            reported.add(name)
            distribution = distributions.distribution_of(name)
            yield Finding(
                CODE,
                analysis.span(module.start, module.end),
                f"'{name}' is imported by '{task.id}' but not installed",
                task_id=task.id,
                help=f"install '{distribution}' with the task's packages or in its image (the "
                     f"task installs {installs or 'nothing'}; {environment.base_label})",
                yaml_path=f"{task.path}.{analysis.script.label}",
                detail=module,
            )


# ----------------------------------------------------------------------------- installed, unused

def _imports_packages(analyses: list[ScriptAnalysis], local: set[str]) -> bool:
    """Whether the code imports any third-party module: a stub such as `print(1)` does not,
    and says nothing about what the task's packages are for."""
    return any(module.name not in _STDLIB and module.name not in local
               for analysis in analyses for module in analysis.code.imports)


def _unused(task: Task, analyses: list[ScriptAnalysis],
            environment: Environment) -> Iterator[Finding]:
    from flowlint.lang import distributions

    imported = {module.name for analysis in analyses for module in analysis.code.imports}
    programs, run_modules = _programs(task, analyses)
    imported |= run_modules
    imported_distributions = {distributions.canonical(distributions.distribution_of(name))
                              for name in imported}
    # Pinning a dependency of a package in use (`numpy<2` next to pandas) is using it.
    in_use = {item.canonical for item in environment.installed
              if _is_used(item.canonical, imported, imported_distributions, programs)}
    pinned = distributions.with_requirements(in_use)
    reported: set[str] = set()
    for item in environment.installed:
        name = item.canonical
        # FL002 reports the legacy `requirements` list as a whole and its fix moves it.
        if name in reported or name in pinned or item.where == "requirements":
            continue
        reported.add(name)
        yield Finding(
            CODE,
            item.span,
            f"'{item.name}' is installed by '{task.id}' but never imported ({item.where})",
            task_id=task.id,
            help="remove it from the task's packages if nothing needs it",
            yaml_path=f"{task.path}.{item.where}",
            detail=item,
        )


def _is_used(name: str, imported: set[str], imported_distributions: set[str],
             programs: set[str]) -> bool:
    from flowlint.lang import distributions

    if name in distributions.TOOLING or name in distributions.IMPLICITLY_USED:
        return True
    if any(module in imported for module in distributions.modules_of(name)):
        return True
    if any(distributions.provides_command(name, program) for program in programs):
        return True
    # A plugin or companion of an imported package: pandas-gbq, sqlalchemy-bigquery.
    parts = set(name.split("-"))
    return bool(parts & (imported | imported_distributions)) and len(parts) > 1


def _programs(task: Task, analyses: list[ScriptAnalysis]) -> tuple[set[str], set[str]]:
    """Programs the task's shell commands and scripts run, and modules run with `-m`."""
    programs: set[str] = set()
    run_modules: set[str] = set()
    for analysis in analyses:
        programs |= analysis.code.programs
        run_modules |= analysis.code.run_modules
    for command in command_texts(task):
        for simple in shell.split_commands(command.node.value):
            words = [word.text for word in simple.words]
            if not words:
                continue
            program = words[0].rsplit("/", 1)[-1]
            programs.add(program)
            if program.startswith("python") and "-m" in words[1:-1]:
                run_modules.add(words[words.index("-m", 1) + 1].split(".")[0])
    return programs, run_modules


def _all_code_visible(task: Task, analyses: list[ScriptAnalysis]) -> bool:
    """Whether every Python line the task runs is in the flow (so 'never imported' is true)."""
    kind = task.script_kind
    if kind is None or not all(analysis.code.complete for analysis in analyses):
        return False
    if kind.shape == "legacy":
        return "commands" not in task.properties
    if kind.shape != "script" or not any(a.script.field == "script" for a in analyses):
        return False
    parsed = {analysis.script.file_name for analysis in analyses}
    for command in command_texts(task):
        for simple in shell.split_commands(command.node.value):
            words = [word.text for word in simple.words]
            if words and words[0].rsplit("/", 1)[-1].startswith("python") and len(words) > 1 \
                    and not words[1].startswith("-") and words[1].lstrip("./") not in parsed:
                return False   # runs a Python file flowlint cannot read
    return True


# ----------------------------------------------------------------------------- the environment

def _environment(facts: FlowFacts, task: Task, analyses: list[ScriptAnalysis]) -> Environment:
    environment = Environment([], False, *_base(facts, task))
    _from_commands(facts, task, environment)
    if task.type == plugin_types.LEGACY_PYTHON:
        if environment.base is not None:   # requirements are ignored without a virtualenv
            _from_list(facts.source, task, "requirements", environment)
    else:
        _from_list(facts.source, task, "dependencies", environment)
    for analysis in analyses:
        if analysis.may_run_programs:   # the others install nothing: not parsed for this
            _from_script(analysis, environment)
    return environment


def _base(facts: FlowFacts, task: Task) -> tuple[frozenset[str] | None, str]:
    from flowlint.lang import distributions

    if task.type == plugin_types.LEGACY_PYTHON:
        if (scalar_text(task.prop("virtualEnv")) or "").strip().lower() == "false":
            return None, "no virtualenv"
        return distributions.fresh_virtualenv(), "it runs in a fresh virtualenv"
    runner = facts.runner(task)
    if not runner.starts_container:
        return None, runner.describe()
    image = facts.image(task)
    if image.reference is None:
        return None, image.origin
    default = ", Kestra's default," if image.is_default else ""
    label = f"image '{image.reference}'{default} does not provide it"
    return distributions.image_distributions(image.reference), label


def _from_commands(facts: FlowFacts, task: Task, environment: Environment) -> None:
    for located in facts.installs(task):
        install = located.install
        if install.ecosystem == "system":
            if any(package.startswith(_SYSTEM_PYTHON_PACKAGE) for package in install.packages):
                environment.open_ended = True
            continue
        if install.ecosystem != "python":
            continue
        if _open_ended(install):
            environment.open_ended = True
        node = located.command.node
        packages = set(install.packages)
        for word in install.command.words:
            if word.text in packages:
                start = scalar_offset(facts.source, node, word.start)
                end = scalar_offset(facts.source, node, max(word.end - 1, word.start)) + 1
                _add(environment, word.text, Span(start, max(start, end)),
                     located.command.field)


def _open_ended(install: Install) -> bool:
    return bool(install.requirement_files or install.editables or install.local_paths
                or install.urls or not (install.packages or install.upgrades_pip_only))


def _from_list(source: Source, task: Task, key: str, environment: Environment) -> None:
    prop = task.properties.get(key)
    if prop is None:
        return
    if not isinstance(prop.node, SequenceNode):
        environment.open_ended = True   # a Pebble expression or a single string
        return
    for item in prop.node.value:
        text = scalar_text(item)
        if text is None:
            environment.open_ended = True
        else:
            _add(environment, text, node_span(source, item), key)


def _from_script(analysis: ScriptAnalysis, environment: Environment) -> None:
    from flowlint.lang.python_shapes import has_unknown_packages

    for found in analysis.code.installs:
        for install in found.installs:
            if install.ecosystem != "python":
                continue
            if _open_ended(install) or has_unknown_packages(found):
                environment.open_ended = True
            span = analysis.span(found.start, found.end)
            for package in install.packages:
                _add(environment, package, span, analysis.script.label)


def _add(environment: Environment, spec: str, span: Span, where: str) -> None:
    from flowlint.lang import distributions

    name = written_name(spec.strip())
    if name is None:
        environment.open_ended = True   # Pebble, a path, a conda spec...
        return
    environment.installed.append(Installed(name, distributions.canonical(name), span, where))


def _local_modules(task: Task) -> set[str] | None:
    """Modules the working directory provides, or None when flowlint cannot know them."""
    namespace_files = task.prop("namespaceFiles")
    if namespace_files is not None and is_true(get(namespace_files, "enabled")):
        return None
    names = {"kestra"} if task.type == plugin_types.LEGACY_PYTHON else set()
    files = task.prop("inputFiles")
    if files is not None and not isinstance(files, MappingNode):
        return None
    for key, _, _ in mapping_items(files):
        path = key.strip().removeprefix("./")
        top, slash, _ = path.partition("/")
        if slash:
            names.add(top)
        elif path.endswith(".py"):
            names.add(path[:-3])
    return names | _named_by_commands(task)


def _named_by_commands(task: Task) -> set[str]:
    """Names the task's other shell commands may create as modules in the working directory:
    `dlt init chess duckdb` writes `chess/`, `wget .../helpers.py` writes `helpers.py`."""
    names: set[str] = set()
    for command in command_texts(task):
        text = command.node.value
        for simple in shell.split_commands(text):
            if find_installs(text[simple.start:simple.end]):
                continue
            for word in simple.words[1:]:
                for part in re.split(r"[/\\]", word.text):
                    stem = part.split(".")[0]
                    if stem.isidentifier():
                        names.add(stem)
    return names
