"""Python code embedded in flows: what it imports, installs and runs, from its text alone.

A script that runs no program is read with `ast` alone; libcst (flowlint.lang.python_cst) is
imported the first time a script needs it. A script is analysed once per distinct text (an LRU
cache), and everything the analysis yields is in script indexes.

Pebble (`{{ }}`, `{% %}`, `{# #}`) is rendered by Kestra before Python sees the script, so it is
masked with `_` runs of the same length (newlines kept) before parsing: `{{ inputs.url }}` stays
a valid string body inside quotes and becomes an identifier outside them. Notebook lines such as
`!pip install x` or `%pip install x` are not Python either: they are found as text, masked the
same way, and reported when the parse confirms they stand where a statement would.

A script that does not parse even so, or that is too large or too deeply nested for libcst to
parse safely, is not analysed: its CodeAnalysis carries `error` (and where), and the rules
make no claim about it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from flowlint.lang.python_imports import (
    MAY_RUN_PROGRAMS,
    imports_with_ast,
    pebble_outside_strings,
)
from flowlint.lang.python_shapes import CodeAnalysis, ImportedModule, line_starts

# libcst visits about 50,000 nodes a second: bigger scripts would make checking slow, and an
# inline script that size is data, not code worth linting.
MAX_SCRIPT_CHARS = 100_000
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


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
    if not regions:   # nearly every script: no copy a character at a time
        return text
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


@lru_cache(maxsize=256)
def _masking(text: str) -> tuple[list[tuple[int, int]], str, list[tuple[int, int]]]:
    """The script's Pebble regions, its text with them masked, and its notebook lines: once
    a script, for may_run_programs (asked first) and analyse_code both. Read-only."""
    pebble = pebble_regions(text)
    masked = _blank(text, pebble)
    return pebble, masked, _notebook_regions(masked)


# ----------------------------------------------------------------------------- parsing

@lru_cache(maxsize=256)
def analyse_code(text: str) -> CodeAnalysis:
    """Imports, installs and programs of one script; never raises."""
    if not text.strip():
        return CodeAnalysis()
    if len(text) > MAX_SCRIPT_CHARS:
        return CodeAnalysis(error=f"not analysed: over {MAX_SCRIPT_CHARS:,} characters")
    pebble, masked, notebook = _masking(text)
    if _runs_nothing(masked, notebook):
        quick = _imports_only(masked, pebble)
        if quick is not None:
            return quick
    module, notebook, error = _parse_masked(masked, notebook)
    if module is None:
        message, index = error
        return CodeAnalysis(error=message, error_index=index)
    from flowlint.lang.python_calls import (
        Analyser,  # with libcst, which parsed `module`
    )

    try:
        return Analyser(text, masked, module, pebble, notebook).run()
    except RecursionError:
        return CodeAnalysis(error="too deeply nested to analyse", error_index=0)


@lru_cache(maxsize=256)
def may_run_programs(text: str) -> bool:
    """False when the script surely installs nothing and runs no program: then its analysis
    (analyse_code) has no installs, programs or run modules, whatever its parse finds. Told
    from the text alone, without parsing it."""
    if not text.strip() or len(text) > MAX_SCRIPT_CHARS:
        return False   # analysed as nothing, or not at all
    _, masked, notebook = _masking(text)
    return not _runs_nothing(masked, notebook)


def _runs_nothing(masked: str, notebook: list[tuple[int, int]]) -> bool:
    """No notebook line and none of the words a call that runs something needs: `ast` can
    read the imports (the libcst analysis would find nothing more)."""
    return not notebook and not MAY_RUN_PROGRAMS.search(masked)


def parse_script(text: str) -> object | None:
    """The libcst module of a script, masked exactly as analyse_code masks it (so its indexes
    match the analysis'); None when it does not parse."""
    _, masked, notebook = _masking(text)
    module, _, _ = _parse_masked(masked, notebook)
    return module


def _parse_masked(masked: str, notebook: list[tuple[int, int]]
                  ) -> tuple[object | None, list[tuple[int, int]], tuple[str, int]]:
    """Parse with the notebook lines masked too; when that fails, they may be Python after all
    (`!x` inside a string spanning lines): parse without masking them."""
    module, error = _parse(_blank(masked, notebook))
    if module is None and notebook:
        module, _ = _parse(masked)
        if module is not None:
            notebook = []
    return module, notebook, error


def _imports_only(masked: str, pebble: list[tuple[int, int]]) -> CodeAnalysis | None:
    """The analysis of a script that runs no program: its imports, read with `ast`."""
    # String spans only matter to tell where Pebble stands.
    found = imports_with_ast(masked, _IMPORT_ERRORS, want_strings=bool(pebble),
                             near=[start for start, _ in pebble])
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
        starts = line_starts(code)
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

    # tokenize reads io.StringIO's lines, which end at \n alone.
    starts = [0] + [i + 1 for i, char in enumerate(code) if char == "\n"]
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
