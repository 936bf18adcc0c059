"""The `ast` fast path reports exactly what the libcst analysis reports."""

from __future__ import annotations

import pytest
from helpers import FIXTURES

from flowlint.facts import python_scripts
from flowlint.kestra.flow import build_flow, is_flow
from flowlint.lang import python_code
from flowlint.lang.python_imports import MAY_RUN_PROGRAMS
from flowlint.source import decode
from flowlint.yamlnodes import compose

EXTRA_SCRIPTS = [
    "import os\nimport pandas as pd, numpy\nfrom google.cloud import bigquery\n",
    "try:\n    import ujson as json\nexcept ImportError:\n    import json\n",
    "from . import local\nfrom __future__ import annotations\nimport a.b.c\n",
    "x = 'é'; import requests  # café\nprint(f\"{x}\")\n",
    "url = '{{ inputs.url }}'\nimport httpx\n",
    "import httpx\n{{ inputs.code }}\n",
    "def f():\n    from yaml import safe_load\n    return safe_load\n",
    "from   polars   import  col\n",
]


def fixture_scripts() -> list[str]:
    scripts = []
    for path in sorted(FIXTURES.glob("*/*.yaml")):
        try:
            source = decode(path.read_bytes(), path.name)
        except Exception:  # noqa: BLE001 - binary or broken fixtures are not the subject
            continue
        documents, _ = compose(source)
        for index, document in enumerate(documents):
            if is_flow(document):
                scripts += [script.text for script in
                            python_scripts.python_scripts(build_flow(source, document, index))]
    return scripts


def _libcst_analysis(text: str, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setattr(python_code, "_imports_only", lambda masked, pebble: None)
    python_code.analyse_code.cache_clear()
    try:
        return python_code.analyse_code(text)
    finally:
        monkeypatch.undo()
        python_code.analyse_code.cache_clear()


@pytest.mark.parametrize("text", fixture_scripts() + EXTRA_SCRIPTS)
def test_fast_path_equals_libcst(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    python_code.analyse_code.cache_clear()
    fast = python_code.analyse_code(text)
    slow = _libcst_analysis(text, monkeypatch)
    assert fast == slow


RUNS_NOTHING_SCRIPTS = [
    # `ast` refuses these (a `match` on a soft keyword is fine; `print 1` is not): libcst
    # decides, and must find nothing to install or run either.
    "import pandas\nprint 1\n",
    "import requests\nif True:\nx = 1\n",
    "{{ inputs.code }}\nimport httpx\n",
    "",
    "   \n",
]


@pytest.mark.parametrize("text", [
    text for text in fixture_scripts() + EXTRA_SCRIPTS + RUNS_NOTHING_SCRIPTS
    if not python_code.may_run_programs(text)])
def test_a_script_that_may_run_nothing_installs_and_runs_nothing(
        text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The promise that lets rules skip parsing: may_run_programs False means no installs,
    programs or run modules, on the fast path and on libcst's."""
    python_code.analyse_code.cache_clear()
    for analysis in (python_code.analyse_code(text), _libcst_analysis(text, monkeypatch)):
        assert not (analysis.installs or analysis.programs or analysis.run_modules)


def test_what_may_run_programs() -> None:
    assert python_code.may_run_programs("import subprocess\nsubprocess.run(['ls'])\n")
    assert python_code.may_run_programs("!pip install pandas\nimport pandas\n")
    assert python_code.may_run_programs("import os\nos.system('{{ inputs.cmd }}')\n")
    assert not python_code.may_run_programs("import pandas\nprint(pandas.__version__)\n")
    # Pebble is masked first: a word inside `{{ }}` is not code.
    assert not python_code.may_run_programs("x = '{{ inputs.pip }}'\n")
    assert not python_code.may_run_programs("x" * (python_code.MAX_SCRIPT_CHARS + 1))


def test_scripts_that_may_run_programs_take_the_libcst_path() -> None:
    assert MAY_RUN_PROGRAMS.search("import subprocess\nsubprocess.run(['ls'])\n")
    assert MAY_RUN_PROGRAMS.search("os.system('x')")
    assert not MAY_RUN_PROGRAMS.search("import pandas\nprint(pandas.__version__)\n")


def test_invalid_escapes_in_a_script_print_no_warning(recwarn: pytest.WarningsRecorder) -> None:
    python_code.analyse_code.cache_clear()
    python_code.analyse_code('import re\npattern = re.compile("\\d+\\}")\n')
    assert [str(item.message) for item in recwarn] == []


def test_invalid_escapes_in_an_install_call_print_no_warning(
        recwarn: pytest.WarningsRecorder) -> None:
    python_code.analyse_code.cache_clear()
    found = python_code.analyse_code(
        'import os\nos.system("pip install x \\\\d")\nprint("\\d")\n')
    assert found.installs
    assert [str(item.message) for item in recwarn] == []
