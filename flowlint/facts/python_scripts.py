"""Python code embedded in a flow: where each script sits, and its analysis in file offsets.

A script is a python task's `script`, or one of its `inputFiles` named `*.py`. What the code
imports, installs and runs comes from flowlint.lang.python_code; this module maps the script
indexes of that analysis to offsets in the flow file.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from functools import cached_property

from ruamel.yaml.nodes import MappingNode, ScalarNode

from flowlint.findings import Span
from flowlint.kestra.flow import Flow, Task
from flowlint.lang.installs import Install
from flowlint.lang.python_code import MAX_SCRIPT_CHARS, analyse_code, may_run_programs
from flowlint.lang.python_shapes import CodeAnalysis, ScriptInstall
from flowlint.records import NamedTuple
from flowlint.source import Source
from flowlint.yamlnodes import align, mapping_items, scalar_offset, scalar_text


class PythonScript(NamedTuple):
    """One Python source in a task: its `script`, or an `inputFiles` entry named `*.py`."""

    task: Task
    node: ScalarNode
    field: str          # 'script' or 'inputFiles'
    file_name: str | None  # the inputFiles key, None for `script`
    origin: str         # 'task', 'default' or 'forced-default'

    @property
    def label(self) -> str:
        return self.field if self.file_name is None else f"{self.field}.{self.file_name}"

    @property
    def text(self) -> str:
        return self.node.value


def python_scripts(flow: Flow) -> Iterator[PythonScript]:
    """Every Python source of the flow's python tasks (Script, Commands, triggers, legacy)."""
    for task in flow.tasks:
        kind = task.script_kind
        if kind is None or kind.language != "python":
            continue
        if kind.shape == "script":
            prop = task.properties.get("script")
            if prop is not None and _has_code(prop.node):
                yield PythonScript(task, prop.node, "script", None, prop.origin)
        files = task.properties.get("inputFiles")
        if files is not None and isinstance(files.node, MappingNode):
            for key, _, value in mapping_items(files.node):
                if key.endswith(".py") and _has_code(value):
                    yield PythonScript(task, value, "inputFiles", key, files.origin)


def _has_code(node: object) -> bool:
    text = scalar_text(node)  # type: ignore[arg-type]
    return text is not None and bool(text.strip())


class ScriptAnalysis:
    """A Python script of a task and what its code imports and installs, with the way back
    from a character of the script to its place in the file.

    The code is parsed when first asked for: most scripts belong to tasks that install
    nothing, and no rule needs their imports (parsing was a sixth of a cold check)."""

    def __init__(self, source: Source, script: PythonScript) -> None:
        self.source = source
        self.script = script

    @cached_property
    def code(self) -> CodeAnalysis:
        return analyse_code(self.script.text)

    @property
    def may_run_programs(self) -> bool:
        """False when the script surely installs nothing and runs no program, told from its
        text without parsing it (then `code` has no installs, programs or run modules)."""
        return may_run_programs(self.script.text)

    @property
    def parses(self) -> bool:
        return self.code.error is None

    @property
    def error(self) -> str | None:
        return self.code.error

    @property
    def too_long(self) -> bool:
        """Not analysed at all: over MAX_SCRIPT_CHARS characters (so no rule sees its
        imports or installs)."""
        return len(self.script.text) > MAX_SCRIPT_CHARS

    @property
    def error_offset(self) -> int:
        """Where the script stops parsing, in the file (for a message that points at it)."""
        return self.offset(self.code.error_index)

    def offset(self, index: int) -> int:
        """File offset of character `index` of the script."""
        if self.script.node.style == "|":
            return scalar_offset(self.source, self.script.node, index)
        offsets = self._aligned
        return offsets[min(max(index, 0), len(offsets) - 1)]

    def span(self, start: int, end: int) -> Span:
        first = self.offset(start)
        last = self.offset(max(start, end - 1)) + 1 if end > start else first
        return Span(first, max(first, last))

    @cached_property
    def _aligned(self) -> array:
        return align(self.source, self.script.node)




def analyse_scripts(flow: Flow) -> list[ScriptAnalysis]:
    """The analyses of every Python script of the flow, in flow order (each parsed when
    its code is first asked for)."""
    return [ScriptAnalysis(flow.source, script) for script in python_scripts(flow)]


class ScriptInstallSite(NamedTuple):
    """One install a script runs: the call, the install it amounts to, and the analysis that
    places it in the file. Strategies read it like a LocatedInstall (`install`, `text`)."""

    analysis: ScriptAnalysis
    found: ScriptInstall
    install: Install

    @property
    def text(self) -> str:
        return self.found.shown(80)

    @property
    def span(self) -> Span:
        return self.analysis.span(self.found.start, self.found.end)


class ScriptCall(NamedTuple):
    """A call (or notebook line) of a script that installs packages when it runs."""

    analysis: ScriptAnalysis
    found: ScriptInstall

    @property
    def sites(self) -> tuple[ScriptInstallSite, ...]:
        """The Python installs the call runs (`pip install a && uv pip install b` runs two)."""
        return tuple(ScriptInstallSite(self.analysis, self.found, install)
                     for install in self.found.installs if install.ecosystem == "python")

    @property
    def span(self) -> Span:
        return self.analysis.span(self.found.start, self.found.end)
