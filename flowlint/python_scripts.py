"""Python code embedded in flows: where it sits, what it imports and what it installs.

Finding the scripts needs no libcst; libcst is imported the first time a script is parsed, so
checking a flow without Python code never loads it. A script is parsed once per distinct text
(an LRU cache), and everything the parse yields is in script indexes; ScriptAnalysis maps them
to file offsets.

Pebble (`{{ }}`, `{% %}`, `{# #}`) is rendered by Kestra before Python sees the script, so it is
masked with `_` runs of the same length (newlines kept) before parsing: `{{ inputs.url }}` stays
a valid string body inside quotes and becomes an identifier outside them. Notebook lines such as
`!pip install x` or `%pip install x` are not Python either: they are found as text, masked the
same way, and reported when the parse confirms they stand where a statement would.

A script that does not parse even so, or that is too large or too deeply nested for libcst to
parse safely, is not analysed: its ScriptAnalysis carries `error` and `error_offset` (for the
engine to report if it wants) and the checks skip it. No rule code is spent on it.
"""

from __future__ import annotations

import ast
import bisect
import re
import shlex
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache

from ruamel.yaml.nodes import MappingNode, ScalarNode

from flowlint import shell
from flowlint.findings import Span
from flowlint.model import Flow, Task
from flowlint.python_imports import MAY_RUN_PROGRAMS, imports_with_ast, pebble_outside_strings
from flowlint.source import Source
from flowlint.yamlnodes import mapping_items, node_span, scalar_offset, scalar_text

# libcst visits about 50,000 nodes a second: bigger scripts would make checking slow, and an
# inline script that size is data, not code worth linting.
MAX_SCRIPT_CHARS = 100_000
# Stands for a value the code computes at run time (a variable, a `*args`, an f-string field).
UNKNOWN = "__flowlint_unknown__"

_SUBPROCESS_ARGV = frozenset({
    "subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
    "subprocess.Popen",
})
_SHELL_STRING = frozenset({
    "os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput",
    "asyncio.create_subprocess_shell",
})
_PIP_MAIN = frozenset({
    "pip.main", "pip._internal.main", "pip._internal.main.main", "pip._internal.cli.main.main",
})
_DYNAMIC_IMPORT = frozenset({"importlib.import_module", "__import__"})
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


# ----------------------------------------------------------------------------- finding scripts

@dataclass(frozen=True)
class PythonScript:
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


# ----------------------------------------------------------------------------- analysis shapes

@dataclass(frozen=True)
class ImportedModule:
    name: str        # first dotted component: `google` for `from google.cloud import bigquery`
    start: int       # script indexes of the module name
    end: int
    optional: bool   # inside `try: ... except ImportError`
    dynamic: bool = False  # importlib.import_module("x") / __import__("x")


@dataclass(frozen=True)
class ScriptInstall:
    """A call (or notebook line) that installs packages when the script runs."""

    start: int                  # script indexes of the call, or of the `!`/`%` of the line
    end: int
    code: str                   # the call or line as written, whitespace collapsed
    command: str                # the shell command it amounts to (UNKNOWN for run-time parts)
    installs: tuple[shell.Install, ...]
    statement: tuple[int, int] | None  # the expression statement holding only this call
    standalone: bool            # that statement is alone on its line(s)
    notebook: bool = False      # `!pip ...` / `%pip ...`: IPython syntax, not Python


@dataclass(frozen=True)
class CodeAnalysis:
    imports: tuple[ImportedModule, ...] = ()
    installs: tuple[ScriptInstall, ...] = ()
    programs: frozenset[str] = frozenset()   # programs the code runs (subprocess, os.system)
    run_modules: frozenset[str] = frozenset()  # `python -m X` run by the code
    complete: bool = True        # False when Pebble outside strings may add code at run time
    error: str | None = None     # why the script does not parse
    error_index: int = 0


@dataclass
class ScriptAnalysis:
    source: Source
    script: PythonScript
    code: CodeAnalysis

    @property
    def parses(self) -> bool:
        return self.code.error is None

    @property
    def error(self) -> str | None:
        return self.code.error

    @property
    def error_offset(self) -> int:
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
    def _aligned(self) -> list[int]:
        return _align(self.source, self.script.node)


_last_analysis: list[tuple[Flow, list[ScriptAnalysis]]] = []


def analyse_flow(flow: Flow) -> list[ScriptAnalysis]:
    """The analyses of a flow's Python scripts, kept for the flow being checked: FL003 and
    FL010 (and their fixes) all ask for them."""
    if _last_analysis and _last_analysis[0][0] is flow:
        return _last_analysis[0][1]
    analyses = [ScriptAnalysis(flow.source, script, analyse_code(script.text))
                for script in python_scripts(flow)]
    _last_analysis[:] = [(flow, analyses)]
    return analyses


# ----------------------------------------------------------------------------- offsets

def _align(source: Source, node: ScalarNode) -> list[int]:
    """File offset of each value character of a folded, plain or quoted scalar.

    The value is the raw text with line folding, indentation, quotes and escapes removed, so
    walking both side by side and skipping what YAML dropped recovers each character's place.
    """
    value, text = node.value, source.text
    span = node_span(source, node)
    p, end = span.start, span.end
    indent = 0
    if node.style in (">", "|"):
        p = text.find("\n", p) + 1 or end
        indent = _block_indent(text, p, end)
    elif node.style in ('"', "'"):
        p += 1
    offsets: list[int] = []
    budget = indent
    for char in value:
        while p < end:
            raw = text[p]
            if raw == "\r":
                p += 1
                continue
            if raw == " " and budget > 0:   # block indentation, not part of the value
                budget -= 1
                p += 1
                continue
            if node.style == '"' and raw == "\\":
                if text[p + 1:p + 2] in ("\n", "\r"):
                    p = text.find("\n", p) + 1
                    budget = 0
                    continue
                offsets.append(p)
                p += _escape_length(text, p)
                break
            if node.style == "'" and raw == "'" and text[p + 1:p + 2] == "'" and char == "'":
                offsets.append(p)
                p += 2
                break
            if raw == char or (raw == "\n" and char == " "):
                offsets.append(p)
                p += 1
                budget = indent if raw == "\n" else 0
                break
            if raw in " \t\n":   # indentation or a line break that YAML dropped
                budget = indent if raw == "\n" else budget
                p += 1
                continue
            p = end               # lost track: map the rest to where the scalar ends
        else:
            offsets.append(min(p, len(text)))
    offsets.append(min(p, len(text)))
    return offsets


def _block_indent(text: str, start: int, end: int) -> int:
    for line in text[start:end].split("\n"):
        if line.strip():
            return len(line) - len(line.lstrip(" "))
    return 0


def _escape_length(text: str, p: int) -> int:
    kind = text[p + 1:p + 2]
    return 2 + {"x": 2, "u": 4, "U": 8}.get(kind, 0)


# ----------------------------------------------------------------------------- masking

_PEBBLE_CLOSE = {"{{": "}}", "{%": "%}", "{#": "#}"}
_RAW_OPEN = re.compile(r"\{%-?\s*raw\s*-?%\}")
_RAW_CLOSE = re.compile(r"\{%-?\s*endraw\s*-?%\}")
# `!cmd`, `!!cmd`, `%magic args`, `%%cell_magic`: IPython, never valid at a statement start.
# Only known magics: a line starting `%y` may continue a `"..." % y` expression.
_NOTEBOOK_LINE = re.compile(
    r"^[ \t]*(?:!{1,2}(?!=)|%{1,2}(?:pip|conda|mamba|micromamba|uv|system|sx|bash|sh|script"
    r"|capture|time|timeit|matplotlib|load_ext|autoreload|env|cd|run|writefile|store)\b)"
    r"[^\n]*", re.M)
_MAGIC_COMMANDS = frozenset({"pip", "conda", "mamba", "micromamba", "uv"})


def pebble_regions(text: str) -> list[tuple[int, int]]:
    """Spans of Pebble tags and expressions; the body of `{% raw %}` is left alone."""
    regions: list[tuple[int, int]] = []
    i = 0
    while (i := text.find("{", i)) >= 0:
        close = _PEBBLE_CLOSE.get(text[i:i + 2])
        if close is None:
            i += 1
            continue
        end = text.find(close, i + 2)
        if end < 0:
            break
        end += 2
        regions.append((i, end))
        if _RAW_OPEN.fullmatch(text, i, end):
            closing = _RAW_CLOSE.search(text, end)
            if closing is None:
                break
            regions.append(closing.span())
            end = closing.end()
        i = end
    return regions


def _blank(text: str, regions: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in regions:
        for k in range(start, end):
            if chars[k] != "\n":
                chars[k] = "_"
    return "".join(chars)


def _notebook_regions(masked: str) -> list[tuple[int, int]]:
    regions = []
    for match in _NOTEBOOK_LINE.finditer(masked):
        start = match.start() + len(match.group()) - len(match.group().lstrip(" \t"))
        regions.append((start, match.end()))
    return regions


def _notebook_command(line: str) -> str:
    """The shell command a notebook line runs: `!pip install x` or `%pip install x`."""
    if line.startswith("!"):
        return line.lstrip("!")
    name, _, rest = line.lstrip("%").partition(" ")
    if name in _MAGIC_COMMANDS:
        return f"{name} {rest}"
    if name in ("system", "sx"):
        return rest
    return ""


# ----------------------------------------------------------------------------- parsing

@lru_cache(maxsize=256)
def analyse_code(text: str) -> CodeAnalysis:
    """Imports, installs and programs of one script; never raises."""
    if not text.strip():
        return CodeAnalysis()
    if len(text) > MAX_SCRIPT_CHARS:
        return CodeAnalysis(error=f"not analysed: over {MAX_SCRIPT_CHARS:,} characters")
    pebble = pebble_regions(text)
    masked = _blank(text, pebble)
    notebook = _notebook_regions(masked)
    if not notebook and not MAY_RUN_PROGRAMS.search(masked):
        quick = _imports_only(masked, pebble)
        if quick is not None:
            return quick
    module, error = _parse(_blank(masked, notebook))
    if module is None and notebook:
        module, _ = _parse(masked)
        if module is not None:
            notebook = []
    if module is None:
        message, index = error
        return CodeAnalysis(error=message, error_index=index)
    try:
        return _Analyser(text, masked, module, pebble, notebook).run()
    except RecursionError:
        return CodeAnalysis(error="too deeply nested to analyse", error_index=0)


def _imports_only(masked: str, pebble: list[tuple[int, int]]) -> CodeAnalysis | None:
    """The analysis of a script that runs no program: its imports, read with `ast`."""
    # String spans only matter to tell where Pebble stands.
    found = imports_with_ast(masked, _IMPORT_ERRORS, want_strings=bool(pebble))
    if found is None:
        return None
    imports, strings = found
    modules = tuple(ImportedModule(name, start, end, optional)
                    for name, start, end, optional in imports)
    return CodeAnalysis(modules, complete=not pebble_outside_strings(masked, pebble, strings))


def _parse(code: str) -> tuple[object | None, tuple[str, int]]:
    import libcst

    too_deep = _too_deep(code)
    if too_deep is not None:
        return None, too_deep
    try:
        return libcst.parse_module(code), ("", 0)
    except libcst.ParserSyntaxError as problem:
        detail = str(problem.message).removeprefix("parser error: ")
        # The message's "error at L:C" is more precise than raw_line, which can be one off.
        where = _ERROR_AT.search(detail)
        line, column = (int(where[1]), int(where[2])) if where else (problem.raw_line, 0)
        starts = _line_starts(code)
        line = min(max(line, 1), len(starts))
        line_end = starts[line] - 1 if line < len(starts) else len(code)
        index = min(starts[line - 1] + column, line_end)
        return None, (f"invalid syntax at line {line} of the script ({detail})", index)
    except (RecursionError, ValueError, TypeError) as problem:  # native parser limits
        return None, (f"cannot be parsed: {problem}", 0)


# libcst's native parser recurses on the C stack and crashes the process (no exception) on
# code nested thousands of levels deep, so such code is refused before parsing. CPython itself
# refuses more than 200 nested brackets; no real script chains 1000 operators in one expression.
_MAX_BRACKETS = 200
_MAX_CHAIN = 1000
_CHAIN_WORDS = frozenset({"not", "and", "or", "lambda", "if", "else", "in", "is", "await"})
_NOT_CHAINING = frozenset({"(", ")", "[", "]", "{", "}", ",", ";", ":", "="})


def _too_deep(code: str) -> tuple[str, int] | None:
    """Why the code is too deeply nested to parse safely, with where; None when it is not."""
    import io
    import tokenize

    starts = _line_starts(code)
    depth = chain = 0
    previous = ""
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            kind, text = token.type, token.string
            if kind == tokenize.NEWLINE or text in (",", ";"):
                chain = 0
            elif kind == tokenize.OP and text in "([{":
                depth += 1
                chain += previous in (")", "]", "NAME")   # call and subscript chains
            elif kind == tokenize.OP and text in ")]}":
                depth = max(depth - 1, 0)
            elif (kind == tokenize.OP and text not in _NOT_CHAINING) \
                    or (kind == tokenize.NAME and text in _CHAIN_WORDS) \
                    or (kind == tokenize.STRING and previous == "STRING"):
                chain += 1
            previous = "NAME" if kind == tokenize.NAME else "STRING" \
                if kind == tokenize.STRING else text
            if depth > _MAX_BRACKETS or chain > _MAX_CHAIN:
                line, column = token.start
                what = (f"brackets nested more than {_MAX_BRACKETS} deep" if depth > _MAX_BRACKETS
                        else f"more than {_MAX_CHAIN} operators chained in one expression")
                return (f"not analysed: {what} at line {line} of the script",
                        starts[min(line, len(starts)) - 1] + column)
    except (tokenize.TokenError, SyntaxError):   # libcst reports these better
        return None
    return None


_ERROR_AT = re.compile(r"error at (\d+):(\d+)")


def _line_starts(code: str) -> list[int]:
    return [0] + [i + 1 for i, char in enumerate(code) if char == "\n"]


@lru_cache(maxsize=1)
def _collector_class() -> type:
    """The libcst visitor, built on first use so that importing this module stays cheap."""
    import libcst as cst

    class Collector(cst.CSTVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.stack: list[object] = []
            self.guarded: set[int] = set()
            self.bindings: dict[str, str] = {}
            self.assigned: dict[str, list[object]] = {}
            self.imports: list[tuple[str, object, bool]] = []
            self.calls: list[object] = []
            self.statements: dict[int, tuple[object, bool]] = {}
            self.bare_names: list[object] = []
            self.strings: list[object] = []

        def on_visit(self, node: cst.CSTNode) -> bool:
            self.stack.append(node)
            return super().on_visit(node)

        def on_leave(self, original_node: cst.CSTNode) -> None:
            super().on_leave(original_node)
            self.stack.pop()

        def _is_guarded(self) -> bool:
            return any(id(node) in self.guarded for node in self.stack)

        def visit_Try(self, node: cst.Try) -> None:
            if any(_catches_import_error(handler.type) for handler in node.handlers):
                self.guarded.add(id(node.body))

        def visit_TryStar(self, node: cst.TryStar) -> None:
            if any(_catches_import_error(handler.type) for handler in node.handlers):
                self.guarded.add(id(node.body))

        def visit_Import(self, node: cst.Import) -> None:
            for alias in node.names:
                dotted = _dotted(alias.name)
                if dotted is None:
                    continue
                top = dotted.split(".")[0]
                bound = _dotted(alias.asname.name) if alias.asname else None
                self.bindings[bound or top] = dotted if bound else top
                self.imports.append((top, alias.name, self._is_guarded()))

        def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
            if node.relative or node.module is None:
                return
            dotted = _dotted(node.module)
            if dotted is None or dotted == "__future__":
                return
            self.imports.append((dotted.split(".")[0], node.module, self._is_guarded()))
            if isinstance(node.names, cst.ImportStar):
                return
            for alias in node.names:
                name = _dotted(alias.name)
                bound = _dotted(alias.asname.name) if alias.asname else name
                if name and bound:
                    self.bindings[bound] = f"{dotted}.{name}"

        def visit_Assign(self, node: cst.Assign) -> None:
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self.assigned.setdefault(target.target.value, []).append(node.value)

        def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
            alone = len(node.body) == 1
            for statement in node.body:
                if not isinstance(statement, cst.Expr):
                    continue
                if isinstance(statement.value, cst.Call):
                    self.statements[id(statement.value)] = (statement, alone)
                elif isinstance(statement.value, cst.Name):
                    self.bare_names.append(statement.value)

        def visit_Call(self, node: cst.Call) -> None:
            self.calls.append(node)

        def visit_SimpleString(self, node: cst.SimpleString) -> None:
            self.strings.append(node)

        def visit_FormattedString(self, node: cst.FormattedString) -> None:
            self.strings.append(node)

    return Collector


def _catches_import_error(expression: object) -> bool:
    import libcst as cst

    if expression is None:
        return True   # a bare `except:`
    if isinstance(expression, cst.Tuple):
        return any(_catches_import_error(element.value) for element in expression.elements)
    name = _dotted(expression)
    return name is not None and name.split(".")[-1] in _IMPORT_ERRORS


def _dotted(expression: object) -> str | None:
    """`a.b.c` for a Name or Attribute chain, else None."""
    import libcst as cst

    if isinstance(expression, cst.Name):
        return expression.value
    if isinstance(expression, cst.Attribute):
        base = _dotted(expression.value)
        return f"{base}.{expression.attr.value}" if base else None
    return None


class _Analyser:
    """Turns the collected nodes into script-index facts, reading strings from the original."""

    def __init__(self, original: str, masked: str, module: object,
                 pebble: list[tuple[int, int]], notebook: list[tuple[int, int]]) -> None:
        from libcst.metadata import MetadataWrapper, PositionProvider

        self.original = original
        self.masked = masked
        self.pebble = pebble
        self.notebook = notebook
        self.starts = _line_starts(original)
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self.positions = wrapper.resolve(PositionProvider)
        self.collector = _collector_class()()
        wrapper.module.visit(self.collector)
        self.programs: set[str] = set()
        self.run_modules: set[str] = set()

    # -- positions
    def index(self, position: object) -> int:
        return self.starts[position.line - 1] + position.column  # type: ignore[attr-defined]

    def range_of(self, node: object) -> tuple[int, int]:
        code_range = self.positions[node]
        return self.index(code_range.start), self.index(code_range.end)

    # -- the result
    def run(self) -> CodeAnalysis:
        imports = [ImportedModule(name, *self.range_of(node), optional)
                   for name, node, optional in self.collector.imports]
        installs: list[ScriptInstall] = []
        for call in self.collector.calls:
            found = self._call(call, imports)
            if found is not None:
                installs.append(found)
        installs.extend(self._notebook_installs())
        installs.sort(key=lambda item: item.start)
        return CodeAnalysis(tuple(imports), tuple(installs), frozenset(self.programs),
                            frozenset(self.run_modules), self._complete())

    def _complete(self) -> bool:
        strings = sorted(self.range_of(node) for node in self.collector.strings)
        for start, _ in self.pebble:
            k = bisect.bisect_right(strings, (start, float("inf"))) - 1
            if k >= 0 and strings[k][0] <= start < strings[k][1]:
                continue
            line_start = self.original.rfind("\n", 0, start) + 1
            if "#" in self.masked[line_start:start]:
                continue   # in a comment (or after a `#` in a string: harmless either way)
            return False
        return True

    # -- names and values
    def qualified(self, expression: object) -> str | None:
        dotted = _dotted(expression)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        base = self.collector.bindings.get(head, head)
        return f"{base}.{rest}" if rest else base

    def _assigned_value(self, expression: object) -> object | None:
        import libcst as cst

        if isinstance(expression, cst.Name):
            values = self.collector.assigned.get(expression.value, [])
            if len(values) == 1:
                return values[0]
        return None

    def string(self, expression: object, depth: int = 0) -> str | None:
        """The text a string expression evaluates to, with UNKNOWN for run-time parts."""
        import libcst as cst

        if depth > 8:
            return None
        if isinstance(expression, cst.SimpleString):
            return self._simple_string(expression)
        if isinstance(expression, cst.ConcatenatedString):
            left = self.string(expression.left, depth + 1)
            right = self.string(expression.right, depth + 1)
            return None if left is None or right is None else left + right
        if isinstance(expression, cst.FormattedString):
            return "".join(self._fstring_part(part, depth) for part in expression.parts)
        if isinstance(expression, cst.BinaryOperation):
            if isinstance(expression.operator, cst.Add):
                left = self.string(expression.left, depth + 1)
                right = self.string(expression.right, depth + 1)
                if left is None and right is None:
                    return None
                return (left if left is not None else UNKNOWN) + (
                    right if right is not None else UNKNOWN)
            if isinstance(expression.operator, cst.Modulo):
                left = self.string(expression.left, depth + 1)
                if left is not None:
                    return re.sub(r"%[-#0 +]*\d*(?:\.\d+)?[sdifr]", UNKNOWN, left)
            return None
        if isinstance(expression, cst.Call):
            return self._string_call(expression, depth)
        if self.qualified(expression) == "sys.executable":
            return "python"
        assigned = self._assigned_value(expression)
        if assigned is not None:
            return self.string(assigned, depth + 1)
        return None

    def _simple_string(self, node: object) -> str | None:
        start, end = self.range_of(node)
        try:
            with warnings.catch_warnings():   # `"\d"` in a user's string: no warning output
                warnings.simplefilter("ignore")
                value = ast.literal_eval(self.original[start:end])
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            try:
                value = node.evaluated_value  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001 - libcst raises plain exceptions for odd literals
                return None
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        return value if isinstance(value, str) else None

    def _fstring_part(self, part: object, depth: int) -> str:
        import libcst as cst

        if isinstance(part, cst.FormattedStringText):
            start, end = self.range_of(part)
            return self.original[start:end]
        value = self.string(part.expression, depth + 1)  # type: ignore[attr-defined]
        return value if value is not None else UNKNOWN

    def _string_call(self, call: object, depth: int) -> str | None:
        import libcst as cst

        func = call.func  # type: ignore[attr-defined]
        args = call.args  # type: ignore[attr-defined]
        if self.qualified(func) == "shutil.which" and args:
            return self.string(args[0].value, depth + 1)
        if not isinstance(func, cst.Attribute):
            return None
        if func.attr.value == "join" and len(args) == 1:
            separator = self.string(func.value, depth + 1)
            items = self.argv(args[0].value, depth + 1)
            if separator is not None and items is not None:
                return separator.join(items)
        if func.attr.value == "format":
            template = self.string(func.value, depth + 1)
            if template is not None:
                return re.sub(r"\{[^{}]*\}", UNKNOWN, template)
        return None

    def argv(self, expression: object, depth: int = 0) -> list[str] | None:
        """The argument list an expression builds: a list literal, shlex.split(...), ..."""
        import libcst as cst

        if depth > 8:
            return None
        if isinstance(expression, (cst.List, cst.Tuple)):
            items = []
            for element in expression.elements:
                if isinstance(element, cst.StarredElement):
                    items.append(UNKNOWN)
                else:
                    value = self.string(element.value, depth + 1)
                    items.append(value if value is not None else UNKNOWN)
            return items
        if isinstance(expression, cst.Call) and expression.args:
            func = expression.func
            split_text = None
            if self.qualified(func) == "shlex.split":
                split_text = self.string(expression.args[0].value, depth + 1)
            if split_text is not None:
                try:
                    return shlex.split(split_text)
                except ValueError:
                    return split_text.split()
        if isinstance(expression, cst.Call) and isinstance(expression.func, cst.Attribute):
            if expression.func.attr.value == "split" and not expression.args:
                text = self.string(expression.func.value, depth + 1)
                return text.split() if text is not None else None
        assigned = self._assigned_value(expression)
        if assigned is not None:
            return self.argv(assigned, depth + 1)
        return None

    # -- calls
    def _call(self, call: object, imports: list[ImportedModule]) -> ScriptInstall | None:
        name = self.qualified(call.func)  # type: ignore[attr-defined]
        if name is None:
            return None
        args = call.args  # type: ignore[attr-defined]
        positional = [arg.value for arg in args if arg.keyword is None and not arg.star]
        keywords = {arg.keyword.value: arg.value for arg in args if arg.keyword is not None}
        first = positional[0] if positional else keywords.get("args", keywords.get("cmd"))
        command = None
        if name in _DYNAMIC_IMPORT and first is not None:
            module = self.string(first)
            if module and UNKNOWN not in module and not module.startswith("."):
                start, end = self.range_of(first)
                imports.append(ImportedModule(module.split(".")[0], start, end, True, True))
            return None
        if first is None:
            return None
        if name in _SHELL_STRING:
            command = self.string(first)
        elif name in _SUBPROCESS_ARGV:
            command = self._subprocess_command(first, keywords.get("shell"))
        elif name == "asyncio.create_subprocess_exec":
            command = self._join([self.string(value) or UNKNOWN for value in positional])
        elif name in _PIP_MAIN:
            argv = self.argv(first)
            command = self._join(["pip", *argv]) if argv is not None else None
        if command is None:
            return None
        return self._install(call, command)

    def _subprocess_command(self, first: object, shell_flag: object) -> str | None:
        import libcst as cst

        uses_shell = isinstance(shell_flag, cst.Name) and shell_flag.value == "True"
        if uses_shell:
            text = self.string(first)
            if text is not None:
                return text
            argv = self.argv(first)
            return argv[0] if argv else None   # with a list, the shell runs the first item
        argv = self.argv(first)
        return self._join(argv) if argv else None

    @staticmethod
    def _join(argv: list[str]) -> str:
        return " ".join(word if UNKNOWN in word else shlex.quote(word) for word in argv)

    def _note_programs(self, command: str) -> None:
        for simple in shell.split_commands(command):
            words = [word.text for word in simple.words]
            if not words or UNKNOWN in words[0]:
                continue
            program = words[0].rsplit("/", 1)[-1]
            self.programs.add(program)
            if program.startswith("python") and "-m" in words[1:-1]:
                self.run_modules.add(words[words.index("-m", 1) + 1].split(".")[0])

    def _install(self, call: object, command: str) -> ScriptInstall | None:
        self._note_programs(command)
        installs = tuple(shell.find_installs(command))
        if not installs:
            return None
        start, end = self.range_of(call)
        statement, standalone = None, False
        holder = self.collector.statements.get(id(call))
        if holder is not None:
            statement = self.range_of(holder[0])
            standalone = holder[1]
        return ScriptInstall(start, end, " ".join(self.original[start:end].split()), command,
                             installs, statement, standalone)

    def _notebook_installs(self) -> Iterator[ScriptInstall]:
        confirmed = {self.range_of(node)[0] for node in self.collector.bare_names}
        for start, end in self.notebook:
            if start not in confirmed:
                continue   # inside a string or a bracket: not a statement of its own
            line = self.original[start:end]
            command = _notebook_command(line.strip())
            installs = tuple(shell.find_installs(command)) if command else ()
            if command:
                self._note_programs(command)
            if installs:
                shown = re.split(r"\s#", line, maxsplit=1)[0]   # the shell drops comments
                yield ScriptInstall(start, end, " ".join(shown.split()), command, installs,
                                    (start, end), True, notebook=True)


def install_packages(install: ScriptInstall) -> list[str]:
    """Package specifiers the install names, without the parts computed at run time."""
    return [package for found in install.installs for package in found.packages
            if UNKNOWN not in package]


def has_unknown_packages(install: ScriptInstall) -> bool:
    return any(UNKNOWN in package for found in install.installs for package in found.packages)
