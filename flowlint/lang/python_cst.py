"""The libcst walk over a script: the imports, calls, assignments and strings it holds.

libcst is imported on first use (it costs more to load than most flows cost to check), and only
for scripts that flowlint.lang.python_code could not read with `ast` alone.
"""

from __future__ import annotations

from functools import lru_cache

_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


@lru_cache(maxsize=1)
def collector_class() -> type:
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
                dotted = dotted_name(alias.name)
                if dotted is None:
                    continue
                top = dotted.split(".")[0]
                bound = dotted_name(alias.asname.name) if alias.asname else None
                self.bindings[bound or top] = dotted if bound else top
                self.imports.append((top, alias.name, self._is_guarded()))

        def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
            if node.relative or node.module is None:
                return
            dotted = dotted_name(node.module)
            if dotted is None or dotted == "__future__":
                return
            self.imports.append((dotted.split(".")[0], node.module, self._is_guarded()))
            if isinstance(node.names, cst.ImportStar):
                return
            for alias in node.names:
                name = dotted_name(alias.name)
                bound = dotted_name(alias.asname.name) if alias.asname else name
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
    name = dotted_name(expression)
    return name is not None and name.split(".")[-1] in _IMPORT_ERRORS


def dotted_name(expression: object) -> str | None:
    """`a.b.c` for a Name or Attribute chain, else None."""
    import libcst as cst

    if isinstance(expression, cst.Name):
        return expression.value
    if isinstance(expression, cst.Attribute):
        base = dotted_name(expression.value)
        return f"{base}.{expression.attr.value}" if base else None
    return None
