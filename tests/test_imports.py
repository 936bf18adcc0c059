"""What a plain check imports (not timed): only what its file needs. click, the fixer, libcst,
jsonschema, `packaging`, the report formats other than the one asked for and the language
server load on first use; a flow without a Python script loads no script analyser; a run whose
files all come from the result cache loads no parser, no facts and no rule.

Each case runs in a fresh interpreter (the test process has imported everything already) and
reads `sys.modules` after `flowlint check`.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

PLAIN_FLOW = """\
id: hello
namespace: company.team
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: Hello
"""
SCRIPT_FLOW = """\
id: hello
namespace: company.team
tasks:
  - id: run
    type: io.kestra.plugin.scripts.python.Script
    containerImage: ghcr.io/kestra-io/pydata:latest
    script: |
      import json
      print(json.dumps({"ok": True}))
"""

# Never for a plain check of a clean flow, whatever it holds. A check of flags and paths alone
# is read without click; dataclasses and inspect cost ~25 ms of start-up, so none are used.
NEVER = (
    "click", "flowlint.commands", "dataclasses", "inspect",
    "libcst", "jsonschema", "packaging", "yaml", "pygls", "lsprotocol",
    "flowlint.lsp", "flowlint.remedy_files", "flowlint.run.fix_loop",
    "flowlint.run.atomic_write", "flowlint.run.still_runs", "flowlint.run.verify",
    "flowlint.facts.task_run", "flowlint.report.json_format", "flowlint.report.json_lines",
    "flowlint.report.sarif", "flowlint.report.junit", "flowlint.report.github",
    "flowlint.report.settings_text", "flowlint.lang.package_index",
)
# The fixer: flowlint.remedies holds only the fix options the command line offers.
REMEDIES_ALLOWED = {"flowlint.remedies", "flowlint.remedies.fix_options"}
SCRIPT_ANALYSERS = (
    "flowlint.facts.python_scripts", "flowlint.lang.python_code", "flowlint.lang.python_imports",
    "flowlint.lang.python_shapes", "flowlint.lang.python_calls", "flowlint.lang.python_cst",
    "flowlint.lang.distributions", "flowlint.lang.package_metadata",
)
CHECKING = ("ruamel", "flowlint.yamlnodes", "flowlint.kestra.flow", "flowlint.facts",
            "flowlint.rules.", "flowlint.suppressions")

# Without `json`: whether a run imports it is one of the questions.
PROBE = """\
import sys
from flowlint.cli import main
code = main(sys.argv[1:])
sys.stdout.flush()
sys.stderr.write("\\nMODULES " + repr(sorted(sys.modules)) + "\\n")
sys.exit(code)
"""


def modules_after(folder: Path, *args: str) -> tuple[int, set[str]]:
    env = {key: value for key, value in os.environ.items() if key != "GITHUB_ACTIONS"}
    done = subprocess.run([sys.executable, "-c", PROBE, "check", *args], cwd=folder,
                          capture_output=True, text=True, env=env, timeout=120)
    line = done.stderr.rsplit("MODULES ", 1)[1]
    return done.returncode, set(ast.literal_eval(line))


def loaded(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(module for module in modules
                  if any(module == prefix.rstrip(".") or module.startswith(prefix.rstrip(".") + ".")
                         or (prefix.endswith(".") and module.startswith(prefix))
                         for prefix in prefixes))


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    (tmp_path / "plain.yaml").write_text(PLAIN_FLOW)
    (tmp_path / "script.yaml").write_text(SCRIPT_FLOW)
    return tmp_path


@pytest.mark.parametrize("name", ["plain.yaml", "script.yaml"])
def test_a_plain_check_imports_no_fixer_and_no_optional_library(folder, name) -> None:
    code, modules = modules_after(folder, "--no-cache", name)
    assert code == 0
    assert loaded(modules, NEVER) == []
    assert sorted(module for module in modules
                  if module.startswith("flowlint.remedies")) == sorted(REMEDIES_ALLOWED)
    # The rules and the parser did run: the check was real.
    assert "flowlint.rules.fl001_pip_install_per_execution" in modules
    assert "ruamel.yaml" in modules


def test_a_flow_without_python_loads_no_script_analyser(folder) -> None:
    code, modules = modules_after(folder, "--no-cache", "plain.yaml")
    assert code == 0 and loaded(modules, SCRIPT_ANALYSERS) == []
    code, modules = modules_after(folder, "--no-cache", "script.yaml")
    assert code == 0 and "flowlint.facts.python_scripts" in modules   # control


def test_the_report_format_asked_for_loads_alone(folder) -> None:
    code, modules = modules_after(folder, "--no-cache", "--format", "json", "plain.yaml")
    assert code == 0 and "flowlint.report.json_format" in modules
    assert loaded(modules, ("flowlint.report.sarif", "flowlint.report.junit",
                            "flowlint.report.github")) == []


def test_a_run_answered_from_the_cache_loads_no_parser_facts_or_rules(folder) -> None:
    assert modules_after(folder, "plain.yaml", "script.yaml")[0] == 0   # fills the cache
    code, modules = modules_after(folder, "plain.yaml", "script.yaml")
    assert code == 0
    assert loaded(modules, CHECKING) == []
    assert loaded(modules, NEVER) == []


def test_a_warm_run_loads_neither_pathlib_nor_openssl(folder) -> None:
    """A few ms each of a run that reads nothing but the cache's index: pathlib (with
    urllib.parse and ipaddress), hashlib's OpenSSL, typing and the json package (the index is
    read with json_read); a config file without exclude or per-file-ignores does not bring
    pathlib back either."""
    (folder / "bad.yaml").write_text(SCRIPT_FLOW.replace(
        "    script: |\n", "    beforeCommands:\n      - pip install pandas\n    script: |\n"))
    at_start = set(ast.literal_eval(subprocess.run(
        [sys.executable, "-c", "import sys; print(repr(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True).stdout))
    slow = ("pathlib", "hashlib", "_hashlib", "urllib", "json", "typing")
    for config in (None, 'select = ["FL001", "FL004"]\n'):
        if config is not None:
            (folder / ".flowlint.toml").write_text(config)
            slow = slow[:-1]   # the TOML reader (tomllib) imports typing itself
        for path in folder.iterdir():   # older than the racy window: trusted from their stat
            os.utime(path, (path.stat().st_atime - 10, path.stat().st_mtime - 10))
        assert modules_after(folder, ".")[0] == 1   # fills the cache
        assert modules_after(folder, ".")[0] == 1   # merges its journal into the index
        code, modules = modules_after(folder, ".")
        assert code == 1
        assert loaded(modules - at_start, slow) == [], config
        assert loaded(modules, CHECKING) == []


def test_a_flow_that_installs_plain_packages_does_not_load_packaging(tmp_path) -> None:
    (tmp_path / "flow.yaml").write_text(SCRIPT_FLOW.replace(
        "    script: |\n", "    beforeCommands:\n      - pip install pandas requests==2.32.3\n"
                          "    script: |\n"))
    code, modules = modules_after(tmp_path, "--no-cache", "--select", "FL010,FL011",
                                  "flow.yaml")
    assert code in (0, 1) and "flowlint.rules.fl010_import_not_installed" in modules
    assert loaded(modules, ("packaging",)) == []


NAMES = ["pandas", "A", "a1", "Foo_Bar", "zope.interface", "a--b", "9x", "a.", "-a", "a_",
         "a b", "ä", "", "x" * 40]
BOUNDS = ["", "==1", "==1.0", "===1.0", "!=2", "<3", "<=3.1", ">0", ">=1.26", "~=1", "~=1.2",
          "=1", "====1", "==1.", "==1.*", "==1.0a1", "==abc", "==01.2", ">=1,<2", ">=1, <2",
          ">=1,", "== 1", "[x]", "[x]==1", ";python_version<'3'", "@ https://x/y.whl", " "]


@pytest.mark.parametrize("bound", BOUNDS)
def test_the_name_without_packaging_is_the_name_packaging_reads(bound) -> None:
    from packaging.requirements import InvalidRequirement, Requirement

    from flowlint.lang.requirements import _SIMPLE, written_name

    for name in NAMES:
        spec = name + bound
        try:
            expected = Requirement(spec).name
        except (InvalidRequirement, ValueError):
            expected = None
        assert written_name(spec) == expected, spec
        if _SIMPLE.fullmatch(spec):   # the fast path never answers what packaging refuses
            assert expected is not None, spec


def test_every_named_tuple_comes_from_records() -> None:
    """flowlint.records.NamedTuple is typing.NamedTuple to type checkers and a plain
    collections.namedtuple at run time: a module that takes typing's loads `typing` back
    into every warm run."""
    package = Path(__file__).resolve().parent.parent / "flowlint"
    offenders = [str(path.relative_to(package)) for path in sorted(package.rglob("*.py"))
                 for line in path.read_text(encoding="utf-8").splitlines()
                 if line.lstrip().startswith("from typing import") and "NamedTuple" in line
                 and path.name != "records.py"]
    assert offenders == []
