"""The package's layers: every import runs down (or within a layer), and no import runs in a
circle. Imports inside functions count too: a lazy import is still a dependency."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "flowlint"

# From the ground up; a module belongs to the first prefix it starts with. A layer may import
# from its own layer and the ones below it.
LAYERS: list[tuple[str, ...]] = [
    ("flowlint", "flowlint.records", "flowlint.source", "flowlint.findings", "flowlint.yamlnodes",
     "flowlint.catalogue", "flowlint._catalogue_data", "flowlint.files", "flowlint.ignore_files",
     "flowlint.suppressions", "flowlint.schema_subset", "flowlint.json_read", "flowlint.config"),
    ("flowlint.lang",),             # pure text analysers: shell, Python code, requirements
    ("flowlint.kestra",),           # the flow model: tasks, types, runners, images, caches
    ("flowlint.facts",),            # what a flow's tasks run, computed once per flow
    ("flowlint.remedies",),         # the shared strategies and the text-edit helpers
    ("flowlint.rules",),            # one module per rule: its check and its fix
    ("flowlint.lint",),             # flow -> facts -> rules -> suppressions -> fixes
    ("flowlint.run", "flowlint.settings", "flowlint.remedy_files"),
    ("flowlint.report",),
    ("flowlint.check_command",),    # a check once its arguments are read (no click)
    ("flowlint.cli", "flowlint.commands", "flowlint.__main__", "flowlint.lsp"),   # entry points
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    best, found = -1, 0
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), index
    return found


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The flowlint modules a file imports, anywhere in it (relative imports resolved)."""
    found = set()
    package = module_name(path) if path.name == "__init__.py" \
        else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([base] if base else [])])
            # `from flowlint.rules import fl000_invalid_yaml` imports a module, not a name.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules
                     else base for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in modules)
    return found


def import_graph() -> dict[str, set[str]]:
    files = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {module: imports_of(path, set(files)) - {module} for module, path in files.items()}


def test_every_module_has_a_layer() -> None:
    """A new package or module is placed on purpose, not on the ground floor by default."""
    named = {prefix for prefixes in LAYERS for prefix in prefixes}
    unplaced = [module for module in import_graph()
                if not any(module == prefix or module.startswith(prefix + ".")
                           for prefix in named - {"flowlint"}) and module != "flowlint"]
    assert unplaced == []


def test_no_import_runs_upward() -> None:
    upward = [f"{module} (layer {layer_of(module)}) imports {target} (layer {layer_of(target)})"
              for module, targets in import_graph().items() for target in sorted(targets)
              if layer_of(target) > layer_of(module)]
    assert upward == []


def test_no_import_cycle() -> None:
    graph = import_graph()
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycles.append(trail[trail.index(target):] + [target])
            elif target not in state:
                visit(target, trail + [target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []
