"""FL009: packages of other ecosystems installed at every execution in a fresh container.

FL001 covers Python. This rule covers npm/yarn/pnpm (`node`), apt-get/apk/yum/dnf
(`system`), R's install.packages and friends (`r`) and Julia's Pkg.add (`julia`), in shell
commands and, for R and Julia, in the task's script.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from ruamel.yaml.nodes import ScalarNode, SequenceNode

from flowlint.facts.flow_facts import FlowFacts
from flowlint.findings import Edit, Finding, Fix, Span, require, shorten
from flowlint.kestra.flow import Runner, Task
from flowlint.kestra.task_shell import (
    CommandText,
    LocatedInstall,
    command_texts,
)
from flowlint.kestra.working_directory import cache_patterns, patterns_cover
from flowlint.lang import shell
from flowlint.lang.installs import Install, as_install, refreshes_package_index
from flowlint.records import TYPE_CHECKING, NamedTuple
from flowlint.source import Source
from flowlint.yamlnodes import scalar_offset

if TYPE_CHECKING:
    from flowlint.remedies.fix_context import FixRequest
    from flowlint.remedies.image_packages import ImagePackages
    from flowlint.remedies.yaml_text import Style

CODE = "FL009"
NAME = "package-install-per-execution"
FIX_NAME = "custom-image"
DEFAULT_ECOSYSTEMS = ("node", "system", "r", "julia")
_R_INSTALL = re.compile(
    r"(?<![\w.:])(?:(?:utils::)?install\.packages|(?:remotes|devtools)::install_[a-z]+|"
    r"BiocManager::install|pak::(?:pkg_install|pak))\s*\(")
_JULIA_INSTALL = re.compile(r"(?<![\w.])Pkg\.add\s*\(")
_CALLS = {"r": _R_INSTALL, "julia": _JULIA_INSTALL}
_EVAL_PROGRAMS = {"Rscript": "r", "R": "r", "julia": "julia"}


class ScriptCall(NamedTuple):
    """An install call in the task's own R or Julia script: offsets into the script's value."""

    command: CommandText
    start: int
    end: int       # after the closing parenthesis (or the line's end when unbalanced)


class PackageInstall(NamedTuple):
    task: Task
    ecosystem: str
    tool: str
    span: Span
    text: str
    located: LocatedInstall | None   # a shell command (an install or Rscript/julia -e)
    call: ScriptCall | None          # a call inside the script

    @property
    def key(self) -> tuple[int, int]:
        """The YAML node and the offset in its value: one per written place."""
        if self.located is not None:
            return id(self.located.command.node), self.located.install.command.start
        return id(self.call.command.node), self.call.start


def check(facts: FlowFacts, parameters: Mapping[str, object]) -> Iterator[Finding]:
    ecosystems = set(parameters.get("ecosystems", DEFAULT_ECOSYSTEMS))  # type: ignore[arg-type]
    reported: set[tuple[int, int]] = set()   # pluginDefaults commands are shared by tasks
    for task in facts.tasks:
        if task.script_kind is None:
            continue
        runner = facts.runner(task)
        if not runner.starts_container:
            continue
        for found in task_package_installs(facts, task, ecosystems):
            if found.key in reported:
                continue
            reported.add(found.key)
            message, remedy = _message(found, runner)
            yield Finding(
                CODE,
                found.span,
                message,
                help=remedy,
                task_id=task.id,
                yaml_path=f"{task.path}.{_label(found)}",
                detail=found,
            )


def task_package_installs(facts: FlowFacts, task: Task,
                          ecosystems: set[str]) -> list[PackageInstall]:
    found = []
    for located in facts.installs(task):
        install = located.install
        if install.ecosystem in ecosystems and install.ecosystem in ("node", "system") \
                and not _node_modules_cached(task, install):
            found.append(PackageInstall(task, install.ecosystem, install.tool, located.span,
                                        located.text, located, None))
    found.extend(_evaluated_installs(facts.source, task, ecosystems))
    found.extend(_script_installs(facts.source, task, ecosystems))
    return sorted(found, key=lambda item: item.span.start)


def _node_modules_cached(task: Task, install: Install) -> bool:
    """npm/yarn/pnpm into a node_modules folder that the WorkingDirectory caches."""
    working_directory = task.working_directory
    if install.ecosystem != "node" or working_directory is None:
        return False
    if any(name in ("-g", "--global") for name, _ in install.options) \
            or "global" in [word.text for word in install.command.words[1:3]]:
        return False
    options = dict(install.options)
    folder = options.get("--modules-folder") or \
        (f"{install.target.rstrip('/')}/node_modules" if install.target else "node_modules")
    while folder.startswith("./"):
        folder = folder[2:]
    if folder.startswith(("/", "~", "$")):
        return False
    return patterns_cover(cache_patterns(working_directory), folder)


def _evaluated_installs(source: Source, task: Task,
                        ecosystems: set[str]) -> Iterator[PackageInstall]:
    """`Rscript -e "install.packages('x')"` and `julia -e 'using Pkg; Pkg.add("x")'`."""
    for command in command_texts(task):
        for simple in shell.split_commands(command.node.value):
            words = [word.text for word in simple.words]
            program = words[0].rsplit("/", 1)[-1] if words else ""
            ecosystem = _EVAL_PROGRAMS.get(program)
            if ecosystem not in ecosystems:
                continue
            code = " ".join(word for index, word in enumerate(words[1:], start=1)
                            if words[index - 1] in ("-e", "--eval"))
            if not _CALLS[ecosystem].search(code):
                continue
            start = scalar_offset(source, command.node, simple.start)
            end = scalar_offset(source, command.node, max(simple.end - 1, simple.start)) + 1
            text = " ".join(command.node.value[simple.start:simple.end].split())
            located = LocatedInstall(as_install(simple, ecosystem), command,
                                     Span(start, max(start, end)))
            yield PackageInstall(task, ecosystem, program, located.span, text, located, None)


def _script_installs(source: Source, task: Task,
                     ecosystems: set[str]) -> Iterator[PackageInstall]:
    kind = task.script_kind
    if kind is None or kind.shape != "script" or kind.language not in _CALLS \
            or kind.language not in ecosystems:
        return
    prop = task.properties.get("script")
    node = prop.node if prop else None
    value = getattr(node, "value", None)
    if not isinstance(value, str):
        return
    command = CommandText("script", None, node, prop.origin)
    for match in _CALLS[kind.language].finditer(value):
        line_start = value.rfind("\n", 0, match.start()) + 1
        if "#" in value[line_start:match.start()]:
            continue   # a comment (R and Julia both use #)
        end = call_end(value, match.end())
        start = scalar_offset(source, node, match.start())
        last = scalar_offset(source, node, max(end - 1, match.start())) + 1
        text = " ".join(value[match.start():end].split())
        tool = match.group(0).rstrip("( \t")
        yield PackageInstall(task, kind.language, tool, Span(start, max(start, last)), text,
                             None, ScriptCall(command, match.start(), end))


def call_end(text: str, index: int) -> int:
    """The offset after the parenthesis closing the call opened just before `index`; the end
    of that line when it never closes."""
    depth, quote, position = 1, "", index
    while position < len(text):
        char = text[position]
        if quote:
            if char == "\\":
                position += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return position + 1
        position += 1
    line_end = text.find("\n", index)
    return len(text) if line_end < 0 else line_end


def _label(found: PackageInstall) -> str:
    if found.located is not None:
        return found.located.command.label
    return "script"


_LABELS = {"node": "Node.js", "system": "system", "r": "R", "julia": "Julia"}


def _verb(found: PackageInstall) -> str:
    """'npm install', 'apk add', 'Rscript -e', 'install.packages'..."""
    if found.located is None:
        return found.tool
    words = [word.text for word in found.located.install.command.words[1:]]
    if found.ecosystem in ("r", "julia"):
        return f"{found.tool} -e"
    action = next((word for word in words if not word.startswith("-")), "")
    return f"{found.tool} {action}".strip()


def _message(found: PackageInstall, runner: Runner) -> tuple[str, str]:
    """The first line (what is wrong, where) and the help (why, what to do)."""
    command = found.located.command if found.located else found.call.command
    where = f"{command.field} (from pluginDefaults)" if command.origin != "task" \
        else command.field
    remedy = "bake the packages into an image and set it as containerImage"
    if found.ecosystem == "node":
        remedy += ", or cache node_modules/** in a WorkingDirectory"
    return (f"{_verb(found)} in {where} of '{found.task.id}' installs "
            f"{_LABELS[found.ecosystem]} packages at every execution: '{shorten(found.text)}'",
            f"the task runs in a fresh container each run ({runner.describe()}); {remedy}")


# ----------------------------------------------------------------------------- fix

# What may share the line of a script install that is cut with it.
_LINE_PREFIX = {"r": re.compile(r"^\s*(?:if\s*\(.*\)\s*)?$"),
                "julia": re.compile(r"^\s*(?:(?:using|import)\s+Pkg\s*;\s*)?$")}
_LINE_SUFFIX = re.compile(r"^\s*;?\s*(?:#.*)?$")


def fix(request: FixRequest) -> Fix:
    """Only the custom image can hold these packages: it sets the image (the Python
    strategies' custom-image remedy), and the installs this rule reported are cut here."""
    # Fixing code loads when a fix is planned: checking a clean flow never imports it.
    from flowlint.remedies import custom_image
    from flowlint.remedies.command_edits import rewrite_installs
    from flowlint.remedies.strategies import install_context

    flow, task, style = request.flow, request.task, request.style
    require(request.options.strategy in ("auto", FIX_NAME), f"FL009 is fixed by the {FIX_NAME} "
            f"strategy only (--strategy {FIX_NAME} or auto, with --image)")
    found = list(request.details(PackageInstall))
    for item in found:
        require(not _installs_the_project(item), f"'{item.text}' installs the project's own "
                "dependencies from its manifest or lockfile in the working directory, which an "
                "image built ahead of the run cannot hold; cache node_modules/** in a "
                "WorkingDirectory instead")
    planned = custom_image.plan(install_context(request), _image_packages(found))
    commands = {item.located: None for item in found if item.located is not None}
    commands.update(dict.fromkeys(_index_refreshes(request.facts.source, commands)))
    _require_commands_left(task, commands)
    edits = list(planned.edits)
    if commands:
        edits.extend(rewrite_installs(flow.source, task, commands, style))
    calls = [item for item in found if item.call is not None]
    if calls:
        edits.extend(_cut_calls(flow.source, task, calls, style))
    return Fix(planned.title, tuple(edits), safe=False, scope=planned.scope,
               runs_in=planned.runs_in)


def _image_packages(found: list[PackageInstall]) -> ImagePackages:
    """The system packages the image must hold; `flowlint image` writes no installs for
    Node, R or Julia packages, so no fix may point a task at an image that lacks them."""
    from flowlint.remedies.image_packages import PackageList

    listed = PackageList()
    for item in found:
        require(item.ecosystem == "system", f"'{item.text}' installs {_LABELS[item.ecosystem]} "
                "packages, which `flowlint image` does not bake into images: set containerImage "
                "to an image of your own that holds them")
        require(item.located is not None, f"'{item.text}' is not a shell command")
        listed.add_install(item.located.install, f"'{item.text}'")
    require(not listed.problems, listed.problems[0] if listed.problems else "")
    return listed.packages()


def _installs_the_project(item: PackageInstall) -> bool:
    """`npm ci`, `npm install`, `pnpm install --frozen-lockfile`, `yarn`: no package named,
    so the manifest (package.json) and lockfile of the working directory say what to install."""
    install = item.located.install if item.located else None
    return install is not None and item.ecosystem == "node" and not install.packages \
        and not install.local_paths and not install.urls


def _index_refreshes(source: Source, cut: dict[LocatedInstall, None]) -> list[LocatedInstall]:
    """`apt-get update` (or `apk update`...) run just before a system install that is cut:
    without the install it only costs time, so it goes too."""
    found = []
    for located in cut:
        if located.install.ecosystem != "system":
            continue
        commands = shell.split_commands(located.command.node.value)
        index = commands.index(located.install.command)
        if index > 0 and refreshes_package_index(commands[index - 1]) \
                and located.install.command.separator_before in ("&&", ";", "\n"):
            previous = commands[index - 1]
            start = scalar_offset(source, located.command.node, previous.start)
            found.append(LocatedInstall(as_install(previous, "system"), located.command,
                                        Span(start, start)))
    return found


def _require_commands_left(task: Task, cut: dict[LocatedInstall, None]) -> None:
    """A Commands task needs a command: refuse to cut every item of `commands`."""
    prop = task.properties.get("commands")
    items = prop.node.value if prop is not None and isinstance(prop.node, SequenceNode) else []
    cut_commands = {(id(located.command.node), located.install.command) for located in cut}
    emptied = [item for item in items if isinstance(item, ScalarNode)
               and all((id(item), simple) in cut_commands
                       for simple in shell.split_commands(item.value))]
    require(not items or len(emptied) < len(items),
            f"removing the installs would leave '{task.id}' without `commands`")


def _cut_calls(source: Source, task: Task, calls: list[PackageInstall],
               style: Style) -> list[Edit]:
    """Remove the lines of the install calls from the script."""
    from flowlint.remedies.command_edits import in_flow_context, scalar_edit

    command = calls[0].call.command
    node = command.node
    require(command.origin == "task",
            "the script comes from pluginDefaults; remove the install calls there")
    value: str = node.value
    cut: list[tuple[int, int]] = []
    for item in calls:
        call = item.call
        start = value.rfind("\n", 0, call.start) + 1
        end_of_line = value.find("\n", call.end)
        end = len(value) if end_of_line < 0 else end_of_line + 1
        require(bool(_LINE_PREFIX[item.ecosystem].match(value[start:call.start]))
                and bool(_LINE_SUFFIX.match(value[call.end:end].rstrip("\n"))),
                f"'{item.text}' shares its line with other code; remove it by hand")
        cut.append((start, end))
    for start, end in sorted(set(cut), reverse=True):
        value = value[:start] + value[end:]
    require(bool(value.strip()), "removing the install calls would leave the script empty")
    return [scalar_edit(source, node, value, style, in_flow_context(task, command))]
