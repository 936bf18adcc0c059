"""FL003 fixes: cutting the install calls out of a task's Python scripts.

A strategy moves the packages elsewhere (`dependencies`, a cached folder, an image, the
worker); this module removes the calls so that the rest of the script stays byte for byte as
written. A call goes with its whole line(s), trailing comment included, and so does a notebook
`!pip` line; an import that only served the removed calls (`import subprocess`) goes with them;
a block that would be left empty gets `pass` at the call's indentation; blank lines that the
removal would pile up are dropped. The edits delete or replace lines of the file itself, so
indentation, tabs, CRLF and Pebble elsewhere stay untouched.

What cannot be cut that way is refused with the reason: a call whose result is used, a call
that shares its line, a command that also runs something else, packages computed at run time
or by Pebble, a script that is not a literal (`|`) block, a script that would parse no longer.
"""

from __future__ import annotations

import bisect
import re

from flowlint.facts.python_scripts import ScriptAnalysis
from flowlint.findings import Edit, FixRefused, listed, require
from flowlint.kestra import plugin_types
from flowlint.lang import shell
from flowlint.lang.python_code import analyse_code, parse_script
from flowlint.lang.python_shapes import UNKNOWN, ScriptInstall
from flowlint.records import NamedTuple
from flowlint.remedies.fix_context import TaskFixContext
from flowlint.remedies.yaml_text import node_start
from flowlint.yamlnodes import block_content_lines

# Modules an install call is written with: their import may go with the call.
_CALL_MODULES = frozenset({"os", "sys", "subprocess", "pip", "shlex", "asyncio"})
# What may follow a statement on its last line for the line to go with it.
_LINE_SUFFIX = re.compile(r"[ \t]*;?[ \t]*(?:#.*)?")
_STYLES = {">": "a folded (>) block", "'": "a single-quoted string",
           '"': "a double-quoted string"}


def listed_packages(ctx: TaskFixContext) -> str:
    """The packages of the script installs, to end a fix title with: once the calls are cut,
    the flow no longer says which packages the image or the worker must hold."""
    from flowlint.remedies.install_args import packages_of

    packages = packages_of(ctx.script_installs)
    return f"; the script installed {listed(packages)}" if packages else ""


def removal_edits(ctx: TaskFixContext) -> list[Edit]:
    """Edits that cut every script install of the context out of its script."""
    groups: dict[int, tuple[ScriptAnalysis, dict[tuple[int, int], ScriptInstall]]] = {}
    for site in ctx.script_installs:   # each call once, found by its place (not a list scan)
        _, calls = groups.setdefault(id(site.analysis), (site.analysis, {}))
        calls.setdefault((site.found.start, site.found.end), site.found)
    edits: list[Edit] = []
    for analysis, calls in groups.values():
        edits.extend(_Removal(ctx, analysis, list(calls.values())).edits())
    return edits


# ----------------------------------------------------------------------------- the script's shape

class _Statement(NamedTuple):
    """A simple statement that is the only one of its statement line."""

    start: int                 # script indexes
    end: int
    import_binds: str | None   # the name a one-name `import` of _CALL_MODULES binds


class _Shape(NamedTuple):
    statements: dict[int, _Statement]     # by start index
    blocks: list[tuple[bool, list[int]]]   # (is the module, starts of its statements)
    expression_calls: set[int]             # starts of calls that are expression statements

def _parse_shape(text: str) -> _Shape | None:
    """The statements of a script as its analysis parsed it (Pebble and notebook lines masked)."""
    module = parse_script(text)
    return None if module is None else _ShapeReader(text, module).read()


class _ShapeReader:
    def __init__(self, text: str, module: object) -> None:
        from libcst.metadata import MetadataWrapper, PositionProvider

        self.starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self.positions = wrapper.resolve(PositionProvider)
        self.module = wrapper.module

    def range_of(self, node: object) -> tuple[int, int]:
        code_range = self.positions[node]
        return (self.starts[code_range.start.line - 1] + code_range.start.column,
                self.starts[code_range.end.line - 1] + code_range.end.column)

    def read(self) -> _Shape:
        import libcst as cst

        shape = _Shape({}, [], set())
        reader = self

        class Visitor(cst.CSTVisitor):
            def visit_Module(self, node: cst.Module) -> None:
                reader.add_block(shape, True, node.body)

            def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
                reader.add_block(shape, False, node.body)

            def visit_Expr(self, node: cst.Expr) -> None:
                if isinstance(node.value, cst.Call):
                    shape.expression_calls.add(reader.range_of(node.value)[0])

        self.module.visit(Visitor())
        return shape

    def add_block(self, shape: _Shape, is_module: bool, body: object) -> None:
        import libcst as cst

        entries = []
        for entry in body:  # type: ignore[attr-defined]
            if isinstance(entry, cst.SimpleStatementLine) and len(entry.body) == 1:
                start, end = self.range_of(entry.body[0])
                shape.statements[start] = _Statement(start, end, _import_binds(entry.body[0]))
            else:
                start = self.range_of(entry)[0]
            entries.append(start)
        shape.blocks.append((is_module, entries))


def _import_binds(statement: object) -> str | None:
    import libcst as cst

    from flowlint.lang.python_cst import dotted_name

    if isinstance(statement, cst.Import) and len(statement.names) == 1:
        alias = statement.names[0]
        dotted = dotted_name(alias.name) or ""
        bound = dotted_name(alias.asname.name) if alias.asname else dotted.split(".")[0]
    elif isinstance(statement, cst.ImportFrom) and not statement.relative \
            and statement.module is not None \
            and not isinstance(statement.names, cst.ImportStar) and len(statement.names) == 1:
        alias = statement.names[0]
        dotted = dotted_name(statement.module) or ""
        bound = dotted_name(alias.asname.name) if alias.asname else dotted_name(alias.name)
    else:
        return None
    return bound if dotted.split(".")[0] in _CALL_MODULES and bound else None


# ----------------------------------------------------------------------------- removal

class _Removal:
    """The edits that cut some install calls out of one script."""

    def __init__(self, ctx: TaskFixContext, analysis: ScriptAnalysis,
                 calls: list[ScriptInstall]) -> None:
        self.ctx = ctx
        self.analysis = analysis
        self.calls = sorted(calls, key=lambda call: call.start)
        self.text = analysis.script.text
        self.lines = self.text.split("\n")   # not splitlines: \f and \x1c are not line breaks
        if self.text.endswith("\n"):
            self.lines.pop()
        self.starts = [0] + [i + 1 for i, char in enumerate(self.text) if char == "\n"]
        self.where = f"the Python {analysis.script.label} of '{ctx.task.id}'"

    def line_of(self, index: int) -> int:
        return bisect.bisect_right(self.starts, index) - 1

    def edits(self) -> list[Edit]:
        self._require_editable()
        for call in self.calls:
            self._require_removable(call)
        shape = _parse_shape(self.text)
        require(shape is not None, f"{self.where} does not parse for the fix")
        assert shape is not None
        removed = [self._statement_of(shape, call) for call in self.calls]
        removed += self._unused_imports(shape, removed)
        removed_lines: set[int] = set()
        passes: dict[int, int] = {}   # script line -> index where `pass` replaces the rest
        starts = {statement.start for statement in removed}
        for is_module, entries in shape.blocks:
            if entries and all(start in starts for start in entries):
                require(not is_module, f"removing the install would leave no code in "
                        f"{self.where}")
                first = shape.statements[entries[0]]
                passes[self.line_of(first.start)] = first.start
        for statement in removed:
            removed_lines.update(range(self.line_of(statement.start),
                                       self.line_of(statement.end) + 1))
        for line in passes:
            removed_lines.discard(line)
        removed_lines |= self._blank_lines_left(removed_lines)
        self._require_still_valid(removed_lines, passes)
        return self._file_edits(removed_lines, passes)

    # -- refusals
    def _require_editable(self) -> None:
        task, script = self.ctx.task, self.analysis.script
        require(not plugin_types.is_legacy_script(task.type), f"'{task.id}' has the legacy type "
                f"{task.raw_type}; migrate it to io.kestra.plugin.scripts.python.Commands first")
        require(script.origin == "task", f"{self.where} comes from pluginDefaults; "
                "fix it there")
        start = node_start(self.ctx.source, script.node)
        require(task.span.start <= start < task.span.end, f"{self.where} is a YAML alias of "
                "text written elsewhere; fix it where it is written")
        require(not self.ctx.source.text.startswith("&", start), f"{self.where} has a YAML "
                "anchor, so other tasks may share it; fix it by hand")
        style = script.node.style or ""
        require(style == "|", f"{self.where} is {_STYLES.get(style, 'a plain scalar')}; "
                "flowlint removes install calls from literal (|) blocks only")

    def _require_removable(self, call: ScriptInstall) -> None:
        code = self._quoted(call)
        packages = [package for install in call.installs for package in install.packages]
        require(not any(UNKNOWN in package for package in packages),
                f"{code} installs packages computed at run time; they cannot be listed")
        require(not any("{{" in package or "{%" in package for package in packages),
                f"{code} takes its packages from a Pebble expression")
        installing = {install.command for install in call.installs
                      if install.ecosystem == "python"}
        for simple in shell.split_commands(call.command):
            if simple.words and simple not in installing:
                other = " ".join(word.text for word in simple.words)
                raise FixRefused(f"{code} also runs '{_short(other)}'; removing the call "
                                 "would drop that too")

    def _statement_of(self, shape: _Shape, call: ScriptInstall) -> _Statement:
        code = self._quoted(call)
        if call.statement is None:
            require(call.start not in shape.expression_calls,
                    f"{code} shares its line with other code; flowlint removes only a call "
                    "that stands alone on its line(s)")
            raise FixRefused(f"{code} is part of a larger expression or statement (its result "
                             "is used); flowlint removes only a call that is a statement of "
                             "its own")
        statement = shape.statements.get(call.statement[0])  # type: ignore[index]
        require(call.standalone and statement is not None and self._alone(statement),
                f"{code} shares its line with other statements; flowlint removes only a "
                "call that stands alone on its line(s)")
        assert statement is not None
        return statement

    def _quoted(self, call: ScriptInstall) -> str:
        if call.end - call.start == len(call.code):
            return f"'{call.shown(80)}'"
        return f"the call that runs '{call.shown(80)}' (line {self.line_of(call.start) + 1} " \
               "of the script)"

    def _alone(self, statement: _Statement) -> bool:
        first, last = self.line_of(statement.start), self.line_of(statement.end)
        before = self.text[self.starts[first]:statement.start]
        after = self.lines[last][statement.end - self.starts[last]:] \
            if last < len(self.lines) else ""
        return not before.strip() and _LINE_SUFFIX.fullmatch(after) is not None

    def _unused_imports(self, shape: _Shape, removed: list[_Statement]) -> list[_Statement]:
        """Imports of the call modules whose name only the removed statements use."""
        removed_lines = {line for statement in removed for line in
                         range(self.line_of(statement.start), self.line_of(statement.end) + 1)}
        removed_text = "\n".join(self.lines[line] for line in sorted(removed_lines))
        unused = []
        for statement in shape.statements.values():
            name = statement.import_binds
            if name is None or not self._alone(statement):
                continue
            own = set(range(self.line_of(statement.start), self.line_of(statement.end) + 1))
            elsewhere = "\n".join(line for number, line in enumerate(self.lines)
                                  if number not in removed_lines and number not in own)
            word = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
            if word.search(removed_text) and not word.search(elsewhere):
                unused.append(statement)
        return unused

    def _blank_lines_left(self, removed: set[int]) -> set[int]:
        """Blank lines after a removal that would double a blank line or lead the script."""
        dropped: set[int] = set()
        after_removal = False
        last_kept: str | None = None
        for number, line in enumerate(self.lines):
            if number in removed:
                after_removal = True
                continue
            if not line.strip():
                if after_removal and (last_kept is None or not last_kept.strip()):
                    dropped.add(number)
                    continue
            else:
                after_removal = False
            last_kept = line
        return dropped

    def _require_still_valid(self, removed: set[int], passes: dict[int, int]) -> None:
        kept = []
        for number, line in enumerate(self.lines):
            if number in passes:
                column = passes[number] - self.starts[number]
                kept.append(line[:column] + "pass")
            elif number not in removed:
                kept.append(line)
        new_text = "\n".join(kept) + ("\n" if self.text.endswith("\n") else "")
        old_first = _first_code_line(self.lines)
        new_first = _first_code_line(kept)
        require(new_first is not None and _indentation(new_first) == _indentation(old_first),
                f"removing the install would change the indentation of the first line of "
                f"{self.where}")
        require(analyse_code(new_text).error is None,
                f"{self.where} would not parse without the install")

    # -- edits on the file
    def _file_edits(self, removed: set[int], passes: dict[int, int]) -> list[Edit]:
        source, node = self.ctx.source, self.analysis.script.node
        first_line, _ = block_content_lines(source, node)
        text, starts = source.text, source.line_starts
        edits: list[Edit] = []
        for number in sorted(removed | set(passes)):
            line0 = first_line + number
            require(line0 < len(starts) and source.line_text(line0 + 1).endswith(
                self.lines[number]), f"{self.where} could not be matched to the file's lines")
            start = starts[line0]
            end = starts[line0 + 1] if line0 + 1 < len(starts) else len(text)
            if number in passes:
                at = self.analysis.offset(passes[number])
                content_end = start + len(source.line_text(line0 + 1))
                edits.append(Edit(at, content_end, "pass"))
            elif edits and edits[-1].end == start and edits[-1].text == "":
                edits[-1] = Edit(edits[-1].start, end, "")
            else:
                edits.append(Edit(start, end, ""))
        last = edits[-1] if edits else None
        if last is not None and not last.text and last.end == len(text) \
                and not text.endswith("\n") and text[last.start - 1:last.start] == "\n":
            # The last line of a file without a final newline goes: the line before it
            # gives up its newline instead, so the file still ends without one.
            newline = 2 if text[last.start - 2:last.start] == "\r\n" else 1
            edits[-1] = Edit(last.start - newline, last.end, "")
        return edits


def _first_code_line(lines: list[str]) -> str | None:
    return next((line for line in lines if line.strip()), None)


def _indentation(line: str | None) -> str:
    return "" if line is None else line[:len(line) - len(line.lstrip(" \t"))]


def _short(code: str, limit: int = 80) -> str:
    return code if len(code) <= limit else code[:limit - 3] + "..."
