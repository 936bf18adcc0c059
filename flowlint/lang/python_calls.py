"""What a script's calls run: the strings and argument lists they pass, the programs they start
and the packages they install, read from the nodes flowlint.lang.python_cst collects."""

from __future__ import annotations

import ast
import bisect
import re
import shlex
import warnings
from collections.abc import Iterator

from flowlint.lang import shell
from flowlint.lang.installs import find_installs
from flowlint.lang.python_cst import collector_class, dotted_name
from flowlint.lang.python_shapes import (
    UNKNOWN,
    CodeAnalysis,
    ImportedModule,
    ScriptInstall,
    line_starts,
)

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
_MAGIC_COMMANDS = frozenset({"pip", "conda", "mamba", "micromamba", "uv"})


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


class Analyser:
    """Turns the collected nodes into script-index facts, reading strings from the original."""

    def __init__(self, original: str, masked: str, module: object,
                 pebble: list[tuple[int, int]], notebook: list[tuple[int, int]]) -> None:
        from libcst.metadata import MetadataWrapper, PositionProvider

        self.original = original
        self.masked = masked
        self.pebble = pebble
        self.notebook = notebook
        self.starts = line_starts(original)
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self.positions = wrapper.resolve(PositionProvider)
        self.collector = collector_class()()
        wrapper.module.visit(self.collector)
        self.programs: set[str] = set()
        self.run_modules: set[str] = set()

    # -- positions
    def index(self, position: object) -> int:
        line = min(position.line, len(self.starts))  # type: ignore[attr-defined]
        return self.starts[line - 1] + position.column  # type: ignore[attr-defined]

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
        dotted = dotted_name(expression)
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
        installs = tuple(find_installs(command))
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
            installs = tuple(find_installs(command)) if command else ()
            if command:
                self._note_programs(command)
            if installs:
                shown = re.split(r"\s#", line, maxsplit=1)[0]   # the shell drops comments
                yield ScriptInstall(start, end, " ".join(shown.split()), command, installs,
                                    (start, end), True, notebook=True)
