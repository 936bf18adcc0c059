"""The fast path of script analysis: imports read with the standard library's parser.

Most scripts never call pip, subprocess or os.system; for them FL010 only needs the
imports, and `ast` gives those about forty times faster than libcst (0.14 ms against 6 ms a
script, measured on the corpus), which keeps a cold check of thousands of flows close to
the time it takes to read the YAML. Scripts that may run programs, and scripts `ast` cannot
parse, go through libcst (python_scripts.analyse_code), which reports the same imports.
"""

from __future__ import annotations

import ast
import bisect
import re
import warnings

from flowlint.lang.python_shapes import line_starts

# Any of these and the script may install or run something: libcst must look at it.
MAY_RUN_PROGRAMS = re.compile(
    r"pip|subprocess|system|popen|spawn|exec|import_module|__import__|getoutput|"
    r"create_subprocess")


def imports_with_ast(masked: str, import_errors: frozenset[str], want_strings: bool = True,
                     near: list[int] | None = None
                     ) -> tuple[list[tuple[str, int, int, bool]], list[tuple[int, int]]] | None:
    """(module, start, end, optional) of every import, and the spans of string literals
    (only when `want_strings`; with `near`, only those of the top-level statements that
    hold one of those script indexes), as script indexes; None when `ast` cannot parse the
    script."""
    try:
        # A user's `"\d"` must not print a SyntaxWarning (Python 3.12+) into the report.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(masked)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    to_index = _IndexMap(masked)
    imports: list[tuple[str, int, int, bool]] = []
    # Imports are statements: walking statement lists only skips every expression node.
    pending: list[tuple[ast.stmt, bool]] = [(statement, False) for statement in tree.body]
    while pending:
        statement, guarded = pending.pop()
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                start = to_index(alias.lineno, alias.col_offset)
                imports.append((alias.name.split(".")[0], start, start + len(alias.name),
                                guarded))
        elif isinstance(statement, ast.ImportFrom):
            if statement.level or not statement.module or statement.module == "__future__":
                continue
            start = _module_start(masked, to_index(statement.lineno, statement.col_offset))
            imports.append((statement.module.split(".")[0], start,
                            start + len(statement.module), guarded))
        else:
            pending.extend(_inner_statements(statement, guarded, import_errors))
    imports.sort(key=lambda item: item[1])
    if not want_strings:
        return imports, []
    roots: list[ast.AST] = [tree]
    if near is not None:
        lines = {bisect.bisect_right(to_index.starts, index) for index in near}
        roots = [statement for statement in tree.body if _holds_a_line(statement, lines)]
    return imports, _string_spans(roots, to_index)


def _inner_statements(statement: ast.stmt, guarded: bool, import_errors: frozenset[str]
                      ) -> list[tuple[ast.stmt, bool]]:
    """The statements nested in a compound statement; a `try:` body whose handlers catch
    ImportError is guarded (its imports are optional)."""
    inner: list[tuple[ast.stmt, bool]] = []
    catches = (isinstance(statement, ast.Try) or type(statement).__name__ == "TryStar") and \
        any(_catches(handler.type, import_errors) for handler in statement.handlers)
    for field in ("body", "orelse", "finalbody"):
        block = getattr(statement, field, None)
        if isinstance(block, list):
            inside = guarded or (catches and field == "body")
            inner.extend((item, inside) for item in block if isinstance(item, ast.stmt))
    for handler in getattr(statement, "handlers", ()):
        inner.extend((item, guarded) for item in handler.body)
    for case in getattr(statement, "cases", ()):
        inner.extend((item, guarded) for item in case.body)
    return inner


def _holds_a_line(statement: ast.stmt, lines: set[int]) -> bool:
    """Whether the statement (with its decorators, which stand above its first line) spans
    one of the 1-based `lines`: a string literal never reaches out of its statement."""
    first = min([statement.lineno, *(item.lineno for item in
                                     getattr(statement, "decorator_list", ()))])
    last = statement.end_lineno if statement.end_lineno is not None else float("inf")
    return any(first <= line <= last for line in lines)


def _string_spans(roots: list[ast.AST], to_index: _IndexMap) -> list[tuple[int, int]]:
    spans = []
    for root in roots:
        for node in ast.walk(root):
            if isinstance(node, (ast.Constant, ast.JoinedStr)) and \
                    isinstance(getattr(node, "value", ""), str) and node.end_lineno is not None:
                spans.append((to_index(node.lineno, node.col_offset),
                              to_index(node.end_lineno, node.end_col_offset or 0)))
    return sorted(spans)


def _catches(expression: ast.expr | None, import_errors: frozenset[str]) -> bool:
    if expression is None:
        return True
    if isinstance(expression, ast.Tuple):
        return any(_catches(element, import_errors) for element in expression.elts)
    if isinstance(expression, ast.Attribute):
        return expression.attr in import_errors
    return isinstance(expression, ast.Name) and expression.id in import_errors


def _module_start(masked: str, statement_start: int) -> int:
    """The module name of `from x import y` starts after `from` and the blanks after it."""
    match = re.compile(r"from[ \t\\\n]+").match(masked, statement_start)
    return match.end() if match else statement_start


class _IndexMap:
    """`ast` positions (1-based line, UTF-8 byte column) to script character indexes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = line_starts(text)

    def __call__(self, line: int, byte_column: int) -> int:
        start = self.starts[min(line, len(self.starts)) - 1]
        line_text = self.text[start:start + byte_column]
        if line_text.isascii():
            return start + byte_column
        return start + len(line_text.encode("utf-8")[:byte_column].decode("utf-8", "ignore"))


def pebble_outside_strings(masked: str, pebble: list[tuple[int, int]],
                           strings: list[tuple[int, int]]) -> bool:
    """True when a Pebble expression stands in code (not a string or comment): the code
    Kestra renders may then hold more than the script shows."""
    for start, _ in pebble:
        k = bisect.bisect_right(strings, (start, float("inf"))) - 1
        if k >= 0 and strings[k][0] <= start < strings[k][1]:
            continue
        line_start = masked.rfind("\n", 0, start) + 1
        if "#" in masked[line_start:start]:
            continue
        return True
    return False
