"""Embedded Python: finding scripts, masking Pebble, positions in the file, FL003 and FL010."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowlint.facts.python_scripts import analyse_scripts, python_scripts
from flowlint.kestra.flow import Flow, build_flow
from flowlint.lang import distributions
from flowlint.lang.python_code import analyse_code, pebble_regions
from flowlint.lang.python_shapes import UNKNOWN, install_packages
from flowlint.lint import Settings, check_source
from flowlint.source import Source
from flowlint.yamlnodes import compose


def flow_of(text: str, target: tuple[int, int] = (1, 0)) -> Flow:
    source = Source.from_text("flow.yaml", text)
    (document,), problem = compose(source)
    assert problem is None
    return build_flow(source, document, 0, target)


def findings(text: str, code: str, target: tuple[int, int] = (1, 0)) -> list:
    result = check_source(Source.from_text("flow.yaml", text),
                          Settings(frozenset({code}), target_version=target))
    return [finding for finding in result.findings if finding.rule == code]


def script_flow(script: str, extra: str = "") -> str:
    body = textwrap.indent(textwrap.dedent(script), "      ")
    return ("id: f\nnamespace: company.team\ntasks:\n  - id: t\n"
            "    type: io.kestra.plugin.scripts.python.Script\n"
            f"{extra}    script: |\n{body}")


# ----------------------------------------------------------------------------- libcst stays unloaded

_IMPORT_PROBE = """
import sys
from flowlint.lint import Settings, check_source
from flowlint.catalogue import load_catalogue
from flowlint.source import Source
text = open(sys.argv[1], encoding="utf-8").read()
check_source(Source.from_text("f.yaml", text), Settings(frozenset(load_catalogue())))
print("libcst" in sys.modules)
"""


@pytest.mark.parametrize(("flow", "loads"), [
    ("id: f\nnamespace: company.team\ntasks:\n  - id: s\n"
     "    type: io.kestra.plugin.scripts.shell.Commands\n"
     "    beforeCommands: [pip install pandas]\n    commands: [python -V]\n", False),
    # Imports alone are read with `ast` (python_imports): libcst is not needed.
    (script_flow("import pandas\n", "    dependencies: [pandas]\n"), False),
    (script_flow("import subprocess\nsubprocess.run(['ls'])\n"), True),
])
def test_libcst_is_imported_only_for_python_scripts(tmp_path, flow: str, loads: bool) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text(flow, encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", _IMPORT_PROBE, str(path)], check=True,
                         capture_output=True, text=True).stdout
    assert out.strip() == str(loads)


def test_scripts_of_a_task_that_installs_nothing_are_not_parsed(monkeypatch) -> None:
    """Parsing was a sixth of a cold check, and most scripts belong to tasks that install
    nothing: FL010 has nothing to say of those, and no rule parses them."""
    from flowlint.catalogue import load_catalogue
    from flowlint.facts import python_scripts as scripts_module

    parsed: list[str] = []

    def counting(text: str) -> object:
        parsed.append(text)
        return analyse_code(text)

    monkeypatch.setattr(scripts_module, "analyse_code", counting)
    every_rule = Settings(frozenset(load_catalogue()))
    check_source(Source.from_text("f.yaml", script_flow("import pandas\n")), every_rule)
    assert parsed == []
    installs = script_flow("import pandas\n", "    beforeCommands: [pip install polars]\n")
    result = check_source(Source.from_text("f.yaml", installs), every_rule)
    assert parsed == ["import pandas\n"]
    assert {finding.message for finding in result.findings if finding.rule == "FL010"} == {
        "'pandas' is imported by 't' but not installed",
        "'polars' is installed by 't' but never imported (beforeCommands)"}


# ----------------------------------------------------------------------------- finding scripts

def test_scripts_of_python_tasks_only() -> None:
    flow = flow_of(textwrap.dedent("""\
        id: f
        namespace: company.team
        tasks:
          - id: shell
            type: io.kestra.plugin.scripts.shell.Script
            script: pip install x
          - id: commands
            type: io.kestra.plugin.scripts.python.Commands
            inputFiles:
              main.py: import os
              data.csv: a,b
            commands: [python main.py]
          - id: legacy
            type: io.kestra.core.tasks.scripts.Python
            inputFiles:
              main.py: import sys
          - id: empty
            type: io.kestra.plugin.scripts.python.Script
            script: "  "
        triggers:
          - id: poll
            type: io.kestra.plugin.scripts.python.ScriptTrigger
            script: import json
        """))
    assert [(s.task.id, s.label) for s in python_scripts(flow)] == [
        ("commands", "inputFiles.main.py"), ("legacy", "inputFiles.main.py"),
        ("poll", "script")]


# ----------------------------------------------------------------------------- masking

def test_pebble_regions_keep_raw_bodies() -> None:
    text = 'a = "{{ x }}"\n{% raw %}{{ kept }}{% endraw %}\n{# note #}'
    regions = pebble_regions(text)
    assert [text[start:end] for start, end in regions] == [
        "{{ x }}", "{% raw %}", "{% endraw %}", "{# note #}"]


def test_unclosed_pebble_is_left_alone() -> None:
    assert pebble_regions("d = {{'a': 1}\n") == []


@pytest.mark.parametrize("code", [
    'url = "{{ inputs.url }}"\n',
    "retries = {{ inputs.retries }}\n",
    "name = f'{{ inputs.name }}-{x}'\n",
    "{% if inputs.debug %}\nprint(1)\n{% endif %}\n",
    "value = {{ inputs.a }}{{ inputs.b }}\n",
])
def test_pebble_does_not_break_parsing(code: str) -> None:
    assert analyse_code(code).error is None


def test_pebble_outside_strings_marks_code_incomplete() -> None:
    assert analyse_code('print("{{ x }}")  # {{ y }}\n').complete
    assert not analyse_code("{{ read('main.py') }}\n").complete


# ----------------------------------------------------------------------------- analysis

def test_imports() -> None:
    code = textwrap.dedent("""\
        import os.path, pandas as pd
        from google.cloud import bigquery
        from . import local
        from __future__ import annotations
        try:
            import ujson
        except ImportError:
            ujson = None
        def f():
            import yaml
        plugin = importlib.import_module("polars.io")
        """)
    found = [(item.name, item.optional, item.dynamic) for item in analyse_code(code).imports]
    assert found == [("os", False, False), ("pandas", False, False), ("google", False, False),
                     ("ujson", True, False), ("yaml", False, False), ("polars", True, True)]


@pytest.mark.parametrize(("call", "command"), [
    ('subprocess.run([sys.executable, "-m", "pip", "install", "a"])',
     "python -m pip install a"),
    ('subprocess.run("pip install a b", shell=True)', "pip install a b"),
    ('subprocess.check_output(["pip install a"], shell=True)', "pip install a"),
    ('os.system(f"pip install {pkg}")', f"pip install {UNKNOWN}"),
    ('os.system("pip install " + " ".join(["a", "b"]))', "pip install a b"),
    ('pip.main(["install", *packages])', f"pip install {UNKNOWN}"),
    ('subprocess.run(["uv", "pip", "install", "--system", "a"])',
     "uv pip install --system a"),
    ('subprocess.run("pip install {}".format(name), shell=True)', f"pip install {UNKNOWN}"),
])
def test_install_calls(call: str, command: str) -> None:
    code = f"import os, pip, subprocess, sys\n{call}\n"
    (found,) = analyse_code(code).installs
    assert found.command == command


@pytest.mark.parametrize("call", [
    'subprocess.run(["pip", "list"])',
    'subprocess.run("pip install a")',          # no shell: runs a program named "pip install a"
    'print("pip install a")',
    'logging.info(["pip", "install", "a"])',
    'subprocess.run(["apt-get", "install", "-y", "curl"])',
])
def test_not_install_calls(call: str) -> None:
    assert not any(item.installs and item.installs[0].ecosystem == "python"
                   for item in analyse_code(f"import subprocess\n{call}\n").installs)


def test_notebook_lines_only_at_statement_positions() -> None:
    code = 'text = """\n!pip install a\n"""\n!pip install b\nx = ("%s"\n     %y)\n'
    analysis = analyse_code(code)
    assert [item.command for item in analysis.installs] == ["pip install b"]
    assert all(item.notebook for item in analysis.installs)


def test_a_continuation_line_starting_with_percent_still_parses() -> None:
    analysis = analyse_code('x = ("a %s"\n     %y)\n')
    assert analysis.error is None and analysis.installs == ()


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab(){}[]%!#'\"\\:\n\t =.+-_0123456789")),
               max_size=60))
def test_analysis_never_raises(code: str) -> None:
    analyse_code(code)


# ----------------------------------------------------------------------------- positions

@pytest.mark.parametrize("style", ["|", "|-", ">", "plain", "single", "double"])
def test_offsets_point_at_the_same_characters(style: str) -> None:
    code = "import os\n\nos.system('pip install x')\n"
    if style in ("|", "|-", ">"):
        body = textwrap.indent(code if style != ">" else code.replace("\n", "\n\n"), "      ")
        value = f"{style}\n{body}"
    elif style == "plain":
        value = "import os; os.system('pip install x')"
    elif style == "single":
        value = "'import os; os.system(''pip install x'')'"
    else:
        value = '"import os\\nos.system(\'pip install x\')\\n"'
    text = ("id: f\nnamespace: company.team\ntasks:\n  - id: t\n"
            f"    type: io.kestra.plugin.scripts.python.Script\n    script: {value}\n")
    (finding,) = findings(text, "FL003")
    assert text[finding.span.start:finding.span.end] in (
        "os.system('pip install x')", "os.system(''pip install x'')")
    (analysis,) = analyse_scripts(flow_of(text))
    for index, char in enumerate(analysis.script.text):
        if char not in " \n'":
            assert text[analysis.offset(index)] == char


def test_crlf_and_tabs() -> None:
    text = script_flow("import subprocess\nif True:\n\tsubprocess.run(['pip', 'install', 'a'])\n")
    text = text.replace("\n", "\r\n")
    (finding,) = findings(text, "FL003")
    assert text[finding.span.start:finding.span.end].startswith("subprocess.run(")
    line, column = Source.from_text("f", text).position(finding.span.start)
    assert (line, column) == (9, 8)


@pytest.mark.parametrize("code", [
    "import os\rimport httpx\rimport subprocess\rsubprocess.run(['pip', 'install', 'a'])\r",
    "import os\r\nimport httpx\rimport subprocess\n\rsubprocess.run(['pip', 'install', 'a'])",
    # Python 3.12 syntax: on 3.11 `ast` refuses it and libcst reads the script.
    "type R = int\rimport httpx\rimport subprocess\rsubprocess.run(['pip', 'install', 'a'])\r",
])
@pytest.mark.parametrize("fast", [True, False])
def test_a_lone_carriage_return_ends_a_line(code: str, fast: bool) -> None:
    """`ast` and libcst count a lone \\r as a line break (a YAML "a\\rb" holds one): every
    position must still name the characters it stands for, and nothing may raise."""
    # Without the install call, `ast` reads the imports (may_run_programs is False).
    text = code.split("import subprocess")[0] if fast else code
    analyse_code.cache_clear()
    analysis = analyse_code(text)
    assert analysis.error is None
    assert [text[module.start:module.end] for module in analysis.imports] == \
        [module.name for module in analysis.imports]
    assert "httpx" in [module.name for module in analysis.imports]
    for found in analysis.installs:
        assert text[found.start:found.end].startswith("subprocess.run(")


def test_parse_failure_is_exposed_not_reported() -> None:
    text = script_flow("import os\nx = = 1\nos.system('pip install a')\n")
    (analysis,) = analyse_scripts(flow_of(text))
    assert not analysis.parses and "line 2" in (analysis.error or "")
    assert Source.from_text("f", text).position(analysis.error_offset)[0] == 8
    assert findings(text, "FL003") == [] and findings(text, "FL010") == []


# ----------------------------------------------------------------------------- FL003 details

def test_fl003_records_packages_and_statement() -> None:
    text = script_flow("""\
        import subprocess, sys
        subprocess.check_call([sys.executable, "-m", "pip", "install", "pandas==2.2", "{{ inputs.p }}"])
        result = subprocess.run(["pip", "install", "polars"])
        subprocess.run(["pip", "install", "duckdb"]); print(1)
        """)
    first, second, third = (finding.detail.sites[0] for finding in findings(text, "FL003"))
    assert install_packages(first.found) == ["pandas==2.2", "{{ inputs.p }}"]
    span = first.analysis.span(*first.found.statement)
    assert text[span.start:span.end].startswith("subprocess.check_call(")
    assert text[span.end - 1] == ")"
    assert first.found.standalone is True
    assert second.found.statement is None and second.found.standalone is False
    assert third.found.statement is not None and third.found.standalone is False


def test_fl003_message_names_the_runner() -> None:
    process = script_flow("import os\nos.system('pip install a')\n",
                          "    taskRunner:\n      type: io.kestra.plugin.core.runner.Process\n")
    (finding,) = findings(process, "FL003")
    assert "worker host" in finding.message and "Process runner" in finding.help
    (finding,) = findings(process.replace("    taskRunner:\n      type: "
                                          "io.kestra.plugin.core.runner.Process\n", ""), "FL003")
    assert "Docker runner" in finding.help


def test_fl003_installers_parameter() -> None:
    text = script_flow("import os\nos.system('conda install -y a')\n")
    assert len(findings(text, "FL003")) == 1
    result = check_source(Source.from_text("f.yaml", text),
                          Settings(frozenset({"FL003"}), parameters={"FL003": {"installers": ["pip"]}}))
    assert result.findings == []


# ----------------------------------------------------------------------------- FL010 details

def test_fl010_default_image_follows_the_target_version() -> None:
    text = script_flow("import requests\nfrom kestra import Kestra\n",
                       "    dependencies: [requests]\n")
    assert [f.detail.name for f in findings(text, "FL010")] == ["kestra"]
    assert findings(text, "FL010", target=(0, 20)) == []


def test_fl010_both_directions_need_both_sides() -> None:
    # Installs nothing: no claim about missing modules; imports nothing: no claim about unused.
    assert findings(script_flow("import pandas\n"), "FL010") == []
    assert findings(script_flow("print(1)\n", "    dependencies: [pandas]\n"), "FL010") == []


# ----------------------------------------------------------------------------- distributions

@pytest.mark.parametrize(("distribution", "module"), [
    ("scikit-learn", "sklearn"), ("PyYAML", "yaml"), ("Pillow", "PIL"),
    ("beautifulsoup4", "bs4"), ("psycopg2-binary", "psycopg2"), ("python-dateutil", "dateutil"),
    ("opencv-python-headless", "cv2"), ("google-cloud-bigquery", "google"),
    ("python-dotenv", "dotenv"), ("PyJWT", "jwt"), ("typing_extensions", "typing_extensions"),
    ("dlt", "dlt"), ("Faker", "faker"), ("ruamel.yaml", "ruamel"),
])
def test_modules_of(distribution: str, module: str) -> None:
    assert module in distributions.modules_of(distribution)


def test_distribution_of() -> None:
    assert distributions.distribution_of("yaml") == "pyyaml"
    assert distributions.distribution_of("psycopg2") == "psycopg2"
    assert distributions.distribution_of("polars") == "polars"


@pytest.mark.parametrize(("image", "has"), [
    ("python:3.12-slim", set()), ("docker.io/library/python", set()),
    ("ghcr.io/kestra-io/kestrapy:latest", {"kestra"}),
    ("ghcr.io/kestra-io/pydata@sha256:abc", {"pandas", "scikit-learn", "kestra"}),
])
def test_known_images(image: str, has: set[str]) -> None:
    contents = distributions.image_distributions(image)
    assert contents is not None and has <= contents and "pip" in contents


@pytest.mark.parametrize("image", ["registry.example.com/python:3.12", "{{ vars.image }}",
                                   "ghcr.io/kestra-io/polars:latest", ""])
def test_unknown_images(image: str) -> None:
    assert distributions.image_distributions(image) is None
