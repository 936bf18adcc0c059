"""FL003 fixes: install calls cut out of Python scripts, packages moved by each strategy."""

from __future__ import annotations

import pytest

from flowlint.catalogue import load_catalogue
from flowlint.lint import Settings, check_source
from flowlint.remedies.fix_options import FixOptions
from flowlint.run.fix_loop import FixRun, fix_source
from flowlint.source import Source

IMAGE = "registry.example.com/etl:1.0"
HEAD = """\
id: etl
namespace: company.team

tasks:
  - id: load
    type: io.kestra.plugin.scripts.python.Script
"""



def cached(packages: str, program: str = "pip install") -> str:
    """The cached install the working-dir-cache strategy writes."""
    return (f'set -- {packages} && [ "$*" = "$(cat deps/.installed 2>/dev/null)" ] || '
            f'{{ rm -rf deps && {program} --target=deps "$@" && '
            f"printf '%s\\n' \"$*\" > deps/.installed; }} "
            "&& { chmod u+x deps/bin/* 2>/dev/null || true; }")

def settings(strategy: str) -> Settings:
    return Settings(frozenset(load_catalogue()), (1, 0), {},
                    fix=FixOptions(strategy=strategy, image=IMAGE))


def fix(text: str, strategy: str = "dependencies") -> FixRun:
    run = fix_source(Source.from_text("flow.yaml", text), settings(strategy), unsafe=True)
    if run.changed:
        again = fix_source(Source.from_text("flow.yaml", run.text), settings(strategy),
                           unsafe=True)
        assert again.text == run.text, "fixing the fixed text again changed it"
        left = check_source(Source.from_text("flow.yaml", run.text), settings(strategy))
        assert not [f for f in left.findings if f.rule in ("FL000", "FL001", "FL003")]
    return run


def refusal(run: FixRun) -> str:
    reasons = {finding.fix_outcome.reason for finding in run.result.findings
               if finding.rule == "FL003" and finding.fix_outcome is not None}
    assert len(reasons) == 1, reasons
    return reasons.pop()


def script_flow(script: str, header: str = "|", after: str = "") -> str:
    body = "".join(f"      {line}\n" if line else "\n" for line in script.split("\n"))
    return f"{HEAD}    script: {header}\n{body}{after}"


# ----------------------------------------------------------------------------- what goes

def test_standalone_call_goes_with_the_imports_only_it_used() -> None:
    text = script_flow(
        'import subprocess\n'
        'import sys\n'
        '\n'
        'subprocess.check_call([sys.executable, "-m", "pip", "install", "pandas"])\n'
        '\n'
        'import pandas as pd\n'
        '\n'
        'print(pd.__version__)')
    run = fix(text)
    assert run.text == HEAD + (
        "    script: |\n"
        "      import pandas as pd\n"
        "\n"
        "      print(pd.__version__)\n"
        "    dependencies:\n"
        "      - pandas\n")
    assert [(fixed.rule, fixed.fix.strategy) for fixed in run.applied] == [("FL003", "dependencies")]


def test_imports_used_elsewhere_stay() -> None:
    text = script_flow(
        'import subprocess\n'
        'import sys\n'
        'subprocess.check_call([sys.executable, "-m", "pip", "install", "pandas"])  # deps\n'
        'import pandas as pd\n'
        'subprocess.run(["echo", pd.__version__])\n'
        'sys.exit(0)')
    assert fix(text).text == HEAD + (
        "    script: |\n"
        "      import subprocess\n"
        "      import sys\n"
        "      import pandas as pd\n"
        "      subprocess.run([\"echo\", pd.__version__])\n"
        "      sys.exit(0)\n"
        "    dependencies:\n"
        "      - pandas\n")


def test_aliased_and_from_imports_go_when_unused() -> None:
    text = script_flow(
        'import subprocess as sp\n'
        'from os import system\n'
        'sp.run(["pip", "install", "httpx==0.27.0"], check=True)\n'
        'system("pip install -q orjson==3.10.0")\n'
        'import httpx, orjson\n'
        'print(httpx, orjson)')
    assert fix(text).text == HEAD + (
        "    script: |\n"
        "      import httpx, orjson\n"
        "      print(httpx, orjson)\n"
        "    dependencies:\n"
        "      - httpx==0.27.0\n"
        "      - orjson==3.10.0\n")


def test_notebook_line_goes() -> None:
    text = script_flow('!pip install seaborn==0.13.2  # from the notebook\n'
                       'import seaborn\n'
                       'print(seaborn.__version__)')
    assert fix(text).text == HEAD + (
        "    script: |\n"
        "      import seaborn\n"
        "      print(seaborn.__version__)\n"
        "    dependencies:\n"
        "      - seaborn==0.13.2\n")


def test_os_system_call_goes_with_import_os() -> None:
    text = script_flow('import os\n'
                       'os.system("pip install tabulate==0.9.0")\n'
                       'import tabulate\n'
                       'print(tabulate.tabulate([[1]]))')
    assert fix(text).text == HEAD + (
        "    script: |\n"
        "      import tabulate\n"
        "      print(tabulate.tabulate([[1]]))\n"
        "    dependencies:\n"
        "      - tabulate==0.9.0\n")


def test_only_statement_of_a_block_becomes_pass() -> None:
    text = script_flow('import subprocess\n'
                       'try:\n'
                       '    import yaml\n'
                       'except ImportError:\n'
                       '    subprocess.check_call(  # install on demand\n'
                       '        ["pip", "install", "pyyaml==6.0.2"],\n'
                       '    )\n'
                       '    import yaml\n'
                       'if True:\n'
                       '    subprocess.run(["pip", "install", "rich==13.9.4"])  # and rich\n'
                       'print(yaml)')
    assert fix(text).text == HEAD + (
        "    script: |\n"
        "      try:\n"
        "          import yaml\n"
        "      except ImportError:\n"
        "          import yaml\n"
        "      if True:\n"
        "          pass\n"
        "      print(yaml)\n"
        "    dependencies:\n"
        "      - pyyaml==6.0.2\n"
        "      - rich==13.9.4\n")


def test_crlf_file_keeps_its_newlines() -> None:
    text = script_flow('import subprocess\n'
                       'subprocess.run(["pip", "install", "geopy==2.4.1"])\n'
                       'import geopy\n'
                       'print(geopy)').replace("\n", "\r\n")
    assert fix(text).text == HEAD.replace("\n", "\r\n") + (
        "    script: |\r\n"
        "      import geopy\r\n"
        "      print(geopy)\r\n"
        "    dependencies:\r\n"
        "      - geopy==2.4.1\r\n")


def test_strip_chomping_block_keeps_its_indicator() -> None:
    text = script_flow('import geopy\n'
                       'import os\n'
                       'os.system("pip install geopy==2.4.1")', header="|-",
                       after="    timeout: PT5M\n")
    assert fix(text).text == HEAD + (
        "    script: |-\n"
        "      import geopy\n"
        "    timeout: PT5M\n"
        "    dependencies:\n"
        "      - geopy==2.4.1\n")


def test_tabs_stay_byte_identical() -> None:
    text = script_flow('import subprocess\n'
                       'def main():\n'
                       '\tsubprocess.run(["pip", "install", "chardet==5.2.0"])\n'
                       '\timport chardet\n'
                       '\tprint(chardet.detect(b"\\t  x"))  \t\n'
                       'main()')
    assert fix(text).text == HEAD + (
        "    script: |\n"
        "      def main():\n"
        "      \timport chardet\n"
        "      \tprint(chardet.detect(b\"\\t  x\"))  \t\n"
        "      main()\n"
        "    dependencies:\n"
        "      - chardet==5.2.0\n")


def test_pebble_elsewhere_stays_byte_identical() -> None:
    text = script_flow('import subprocess\n'
                       'subprocess.run(["pip", "install", "duckdb==1.1.3"], check=True)\n'
                       'import duckdb\n'
                       'rows = {{ inputs.rows | default(10) }}\n'
                       '{# {{ not rendered }} #}\n'
                       'print(duckdb.sql("select \'{{ inputs.name }}\'"), rows)')
    assert fix(text).text == HEAD + (
        "    script: |\n"
        "      import duckdb\n"
        "      rows = {{ inputs.rows | default(10) }}\n"
        "      {# {{ not rendered }} #}\n"
        "      print(duckdb.sql(\"select '{{ inputs.name }}'\"), rows)\n"
        "    dependencies:\n"
        "      - duckdb==1.1.3\n")


def test_input_file_of_a_commands_task() -> None:
    text = ("id: etl\nnamespace: company.team\n\ntasks:\n"
            "  - id: load\n"
            "    type: io.kestra.plugin.scripts.python.Commands\n"
            "    inputFiles:\n"
            "      main.py: |\n"
            "        import pip\n"
            "        pip.main([\"install\", \"faker==30.8.2\"])\n"
            "        import faker\n"
            "    commands:\n"
            "      - python main.py\n")
    assert fix(text).text == ("id: etl\nnamespace: company.team\n\ntasks:\n"
                              "  - id: load\n"
                              "    type: io.kestra.plugin.scripts.python.Commands\n"
                              "    inputFiles:\n"
                              "      main.py: |\n"
                              "        import faker\n"
                              "    commands:\n"
                              "      - python main.py\n"
                              "    dependencies:\n"
                              "      - faker==30.8.2\n")


# ----------------------------------------------------------------------------- refusals

@pytest.mark.parametrize(("script", "reason"), [
    ('import subprocess\nr = subprocess.run(["pip", "install", "x"])\nprint(r)',
     "'subprocess.run([\"pip\", \"install\", \"x\"])' is part of a larger expression or "
     "statement (its result is used); flowlint removes only a call that is a statement of "
     "its own"),
    ('import subprocess\nif subprocess.call(["pip", "install", "x"]) == 0:\n    print(1)',
     "'subprocess.call([\"pip\", \"install\", \"x\"])' is part of a larger expression or "
     "statement (its result is used); flowlint removes only a call that is a statement of "
     "its own"),
    ('import subprocess\na = 1; subprocess.run(["pip", "install", "x"])',
     "'subprocess.run([\"pip\", \"install\", \"x\"])' shares its line with other "
     "statements; flowlint removes only a call that stands alone on its line(s)"),
    ('import subprocess\nif True: subprocess.run(["pip", "install", "x"])',
     "'subprocess.run([\"pip\", \"install\", \"x\"])' shares its line with other code; "
     "flowlint removes only a call that stands alone on its line(s)"),
    ('import os\nos.system("pip install x && echo done")\nprint(1)',
     "'os.system(\"pip install x && echo done\")' also runs 'echo done'; removing the call "
     "would drop that too"),
    ('import subprocess\nfor name in ["x"]:\n    subprocess.run(["pip", "install", name])',
     "'subprocess.run([\"pip\", \"install\", name])' installs packages computed at run "
     "time; they cannot be listed"),
    ('import os\nos.system("pip install {{ inputs.package }}")\nprint(1)',
     "'os.system(\"pip install {{ inputs.package }}\")' takes its packages from a Pebble "
     "expression"),
    ('import os\nos.system("pip install x")',
     "removing the install would leave no code in the Python script of 'load'"),
    ('import subprocess\nsubprocess.run(["pip", "install", "-r", "requirements.txt"])\n'
     'print(1)',
     "'subprocess.run([\"pip\", \"install\", \"-r\", \"requirements.txt\"])' reads a "
     "requirements file (-r)"),
])
def test_refusals_say_why(script: str, reason: str) -> None:
    text = script_flow(script)
    run = fix(text)
    assert not run.changed
    assert refusal(run) == reason


def test_folded_and_quoted_scripts_are_refused() -> None:
    folded = f'{HEAD}    script: >\n      import os\n\n      os.system("pip install x")\n\n' \
             '      print(1)\n'
    assert refusal(fix(folded)) == ("the Python script of 'load' is a folded (>) block; "
                                    "flowlint removes install calls from literal (|) "
                                    "blocks only")
    quoted = f'{HEAD}    script: "import os; os.system(\'pip install x\')"\n'
    assert refusal(fix(quoted)) == ("the Python script of 'load' is a double-quoted "
                                    "string; flowlint removes install calls from literal "
                                    "(|) blocks only")


def test_auto_says_why_each_strategy_refused() -> None:
    run = fix(script_flow('import subprocess\nr = subprocess.run(["pip", "install", "x"])'),
              strategy="auto")
    reason = refusal(run)
    assert reason.startswith("dependencies: 'subprocess.run(")
    assert "; working-dir-cache: 'subprocess.run(" in reason


# ----------------------------------------------------------------------------- strategies

SIMPLE = script_flow('import subprocess\n'
                     'subprocess.run(["pip", "install", "pandas==2.2.3"], check=True)\n'
                     'import pandas')


def test_working_dir_cache_adds_a_guarded_install() -> None:
    run = fix(SIMPLE, "working-dir-cache")
    assert run.text == (
        "id: etl\nnamespace: company.team\n\ntasks:\n"
        "  - id: load_cached\n"
        "    type: io.kestra.plugin.core.flow.WorkingDirectory\n"
        "    cache:\n"
        "      patterns:\n"
        "        - deps/**\n"
        "      ttl: PT24H\n"
        "    tasks:\n"
        "      - id: load\n"
        "        type: io.kestra.plugin.scripts.python.Script\n"
        "        script: |\n"
        "          import pandas\n"
        "        beforeCommands:\n"
        f"          - {cached('pandas==2.2.3')}\n"
        "        env:\n"
        "          PYTHONPATH: deps\n")


def test_working_dir_cache_extends_the_enclosing_one() -> None:
    text = ("id: etl\nnamespace: company.team\n\ntasks:\n"
            "  - id: wd\n"
            "    type: io.kestra.plugin.core.flow.WorkingDirectory\n"
            "    tasks:\n"
            "      - id: load\n"
            "        type: io.kestra.plugin.scripts.python.Script\n"
            "        beforeCommands:\n"
            "          - echo start\n"
            "        env:\n"
            "          MODE: batch\n"
            "        script: |\n"
            "          import subprocess\n"
            "          subprocess.check_call([\"uv\", \"pip\", \"install\", \"--system\", "
            "\"polars==1.12.0\"])\n"
            "          import polars\n")
    assert fix(text, "working-dir-cache").text == (
        "id: etl\nnamespace: company.team\n\ntasks:\n"
        "  - id: wd\n"
        "    type: io.kestra.plugin.core.flow.WorkingDirectory\n"
        "    tasks:\n"
        "      - id: load\n"
        "        type: io.kestra.plugin.scripts.python.Script\n"
        "        beforeCommands:\n"
        "          - echo start\n"
        f"          - {cached('polars==1.12.0', 'uv pip install')}\n"
        "        env:\n"
        "          MODE: batch\n"
        "          PYTHONPATH: deps\n"
        "        script: |\n"
        "          import polars\n"
        "    cache:\n"
        "      patterns:\n"
        "        - deps/**\n"
        "      ttl: PT24H\n")


def test_custom_image_and_process_runner_name_the_packages() -> None:
    image = fix(SIMPLE, "custom-image")
    note = ('{"image": "registry.example.com/etl:1.0", "namespace": "company.team", '
            '"flow": "etl", "task": "load", "from": "python:3.13-slim", '
            '"pip": ["pandas==2.2.3"]}')
    assert image.text == HEAD + "    script: |\n      import pandas\n" \
        f"    # flowlint-image: {note}\n    containerImage: {IMAGE}\n"
    assert image.applied[0].fix.title == (f"use image '{IMAGE}' with the packages baked in; "
                                      "the script installed pandas==2.2.3")
    process = fix(SIMPLE, "process-runner")
    assert process.text == HEAD + "    script: |\n      import pandas\n" \
        "    taskRunner:\n      type: io.kestra.plugin.core.runner.Process\n"
    assert process.applied[0].fix.title.endswith("; the script installed pandas==2.2.3")


# ----------------------------------------------------------------------------- with FL001

BEFORE_COMMANDS = "    beforeCommands:\n      - pip install requests==2.32.3\n"
SCRIPT = ("    script: |\n"
          "      import subprocess\n"
          "      subprocess.run([\"pip\", \"install\", \"pandas==2.2.3\"], check=True)\n"
          "      import pandas, requests\n")


@pytest.mark.parametrize("order", ["before-commands-first", "script-first"])
def test_both_rules_converge_on_one_dependencies_list(order: str) -> None:
    parts = [BEFORE_COMMANDS, SCRIPT] if order == "before-commands-first" \
        else [SCRIPT, BEFORE_COMMANDS]
    run = fix(HEAD + "".join(parts))
    assert {fixed.rule for fixed in run.applied} == {"FL001", "FL003"}
    first = "requests==2.32.3" if order == "before-commands-first" else "pandas==2.2.3"
    second = "pandas==2.2.3" if order == "before-commands-first" else "requests==2.32.3"
    assert run.text == HEAD + (
        "    script: |\n"
        "      import pandas, requests\n"
        "    dependencies:\n"
        f"      - {first}\n"
        f"      - {second}\n")


@pytest.mark.parametrize("order", ["before-commands-first", "script-first"])
def test_both_rules_converge_on_one_cached_install(order: str) -> None:
    parts = [BEFORE_COMMANDS, SCRIPT] if order == "before-commands-first" \
        else [SCRIPT, BEFORE_COMMANDS]
    run = fix(HEAD + "".join(parts), "working-dir-cache")
    # Once FL003's fix has put the task in a WorkingDirectory, its shell install is FL005's.
    shell_rule = "FL001" if order == "before-commands-first" else "FL005"
    assert {fixed.rule for fixed in run.applied} == {shell_rule, "FL003"}
    packages = "requests==2.32.3 pandas==2.2.3" if order == "before-commands-first" \
        else "pandas==2.2.3 requests==2.32.3"
    task = ["        script: |\n          import pandas, requests\n",
            "        beforeCommands:\n"
            f"          - {cached(packages)}\n"]
    if order == "before-commands-first":
        task.reverse()
    assert run.text == (
        "id: etl\nnamespace: company.team\n\ntasks:\n"
        "  - id: load_cached\n"
        "    type: io.kestra.plugin.core.flow.WorkingDirectory\n"
        "    cache:\n"
        "      patterns:\n"
        "        - deps/**\n"
        "      ttl: PT24H\n"
        "    tasks:\n"
        "      - id: load\n"
        "        type: io.kestra.plugin.scripts.python.Script\n"
        + "".join(task) +
        "        env:\n"
        "          PYTHONPATH: deps\n")


def test_process_runner_takes_the_shell_installs_along() -> None:
    run = fix(HEAD + SCRIPT + BEFORE_COMMANDS, "process-runner")
    assert run.text == HEAD + (
        "    script: |\n"
        "      import pandas, requests\n"
        "    taskRunner:\n"
        "      type: io.kestra.plugin.core.runner.Process\n")
    assert not [f for f in run.result.findings if f.rule == "FL004"]
