"""Every editor and CI snippet in the README, run as written: the exact command on a small
project, and the exact pattern the snippet gives its editor matched against the real output
(with Windows-style and `:`-bearing paths where the pattern claims them)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

import flowlint

try:
    import tomllib
except ImportError:   # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
FLOWLINT = str(Path(sys.executable).parent / "flowlint")

FLOW = """\
id: etl
namespace: company.team
tasks:
  - id: transform
    type: io.kestra.plugin.scripts.python.Script
    beforeCommands:
      - pip install pandas==2.2.3
    script: |
      import pandas
"""


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.DOTALL)


def block_with(language: str, marker: str) -> str:
    [found] = [block for block in blocks(language) if marker in block]
    return found


def project(tmp_path: Path) -> Path:
    flows = tmp_path / "workspace" / "flows"
    flows.mkdir(parents=True)
    (flows / "etl.yaml").write_text(FLOW, encoding="utf-8")
    return tmp_path / "workspace"


def shell(command: str, cwd: Path, stdin: str | None = None,
          env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    words = shlex.split(command)
    assert words[0] == "flowlint"
    return subprocess.run([FLOWLINT, *words[1:]], cwd=cwd, input=stdin, capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})})


def lua_pattern(pattern: str) -> re.Pattern[str]:
    """The Lua pattern of the nvim-lint snippet as a Python regex (%d, %w, %s classes)."""
    translated = pattern.replace("%d", r"\d").replace("%w", r"\w").replace("%s", r"\s")
    return re.compile(translated)


# ----------------------------------------------------------------------------- VS Code

def vscode_tasks() -> dict:
    return json.loads(block_with("json", '"label": "flowlint: check"'))


def test_vscode_task_points_the_problems_panel_at_real_files(tmp_path: Path) -> None:
    workspace = project(tmp_path)
    task = next(task for task in vscode_tasks()["tasks"] if task["label"] == "flowlint: check")
    cwd = Path(task["options"]["cwd"].replace("${workspaceFolder}", str(workspace)))
    done = shell(task["command"].replace("${workspaceFolder}", str(workspace)), cwd)
    matcher = task["problemMatcher"]
    kind, base = matcher["fileLocation"]
    base = Path(base.replace("${workspaceFolder}", str(workspace)))
    regexp = re.compile(matcher["pattern"]["regexp"])
    groups = matcher["pattern"]
    matched = [regexp.match(line) for line in done.stdout.splitlines()]
    assert matched and all(matched), done.stdout
    for match in matched:
        path = match.group(groups["file"])
        assert kind == "relative" and (base / path).is_file(), path
        assert match.group(groups["code"]) == "FL001"
        assert int(match.group(groups["line"])) == 7


@pytest.mark.parametrize("path", [r"C:\work\flows\etl.yaml", "flows/a:b.yaml"])
def test_vscode_pattern_reads_windows_and_colon_paths(path: str) -> None:
    task = next(task for task in vscode_tasks()["tasks"] if task["label"] == "flowlint: check")
    pattern = task["problemMatcher"]["pattern"]
    match = re.match(pattern["regexp"], f"{path}:7:9: FL001 pip install in beforeCommands")
    assert match and match.group(pattern["file"]) == path
    assert match.group(pattern["line"]) == "7" and match.group(pattern["column"]) == "9"


def test_vscode_fix_task_and_run_on_save_fix_the_file(tmp_path: Path) -> None:
    workspace = project(tmp_path)
    file = workspace / "flows" / "etl.yaml"
    fix_task = next(task for task in vscode_tasks()["tasks"]
                    if task["label"] == "flowlint: fix this file")
    shell(fix_task["command"].replace("${file}", str(file)), workspace)
    assert "pip install" not in file.read_text()

    file.write_text(FLOW)
    settings = json.loads("{" + block_with("json", "emeraldwalk.runonsave") + "}")
    [command] = settings["emeraldwalk.runonsave"]["commands"]
    assert re.search(command["match"], str(file))
    shell(command["cmd"].replace("${file}", str(file)), workspace)
    assert "pip install" not in file.read_text()


# ----------------------------------------------------------------------------- Neovim

def test_nvim_lint_pattern_reads_the_stdin_output(tmp_path: Path) -> None:
    workspace = project(tmp_path)
    lua = block_with("lua", 'require("lint")')
    pattern = lua_pattern(re.search(r'from_pattern\(\s*"([^"]+)"', lua).group(1))
    name = str(workspace / "flows" / "etl.yaml")
    done = shell(f"flowlint check --format concise --exit-zero --stdin-filename {name} -",
                 workspace, stdin=FLOW)
    lines = done.stdout.splitlines()
    assert lines and all(pattern.match(line) for line in lines), done.stdout
    line, column, code, _ = pattern.match(lines[0]).groups()
    assert (line, code) == ("7", "FL001")
    for path in (r"C:\Users\me\flows\etl.yaml", "/home/me/a:b/etl.yaml"):
        match = pattern.match(f"{path}:7:9: FL001 pip install")
        assert match and match.groups()[:3] == ("7", "9", "FL001")


def test_conform_formatter_prints_the_fixed_flow(tmp_path: Path) -> None:
    workspace = project(tmp_path)
    lua = block_with("lua", "conform")
    args = re.search(r"args = \{([^}]*)\}", lua).group(1)
    words = [word.strip().strip('"') for word in args.split(",") if word.strip()]
    name = str(workspace / "flows" / "etl.yaml")
    command = " ".join(["flowlint", *(name if word == "$FILENAME" else word for word in words)])
    done = shell(command, workspace, stdin=FLOW)
    assert done.returncode == 0
    assert "pip install" not in done.stdout and "dependencies:" in done.stdout


# ----------------------------------------------------------------------------- CI

def ci_commands(marker: str) -> list[str]:
    """The flowlint command lines of the CI snippet that contains `marker`."""
    block = block_with("yaml", marker)
    return [line.split("run:", 1)[-1].strip().lstrip("- ").strip()
            for line in block.splitlines()
            if re.search(r"(run: |- )flowlint ", line)]


def test_github_actions_commands_give_annotations_and_sarif(tmp_path: Path) -> None:
    workspace = project(tmp_path)
    annotate, sarif = ci_commands("github/codeql-action")
    done = shell(annotate, workspace, env={"GITHUB_ACTIONS": "true"})
    assert done.returncode == 1
    assert done.stdout.startswith("::warning file=flows/etl.yaml,line=7") or \
        done.stdout.startswith("::error file=flows/etl.yaml,line=7"), done.stdout
    done = shell(sarif, workspace, env={"GITHUB_ACTIONS": "true"})
    assert done.returncode == 0
    report = json.loads((workspace / "flowlint.sarif").read_text())
    assert report["runs"][0]["results"][0]["ruleId"] == "FL001"


def test_gitlab_command_writes_a_junit_report(tmp_path: Path) -> None:
    workspace = project(tmp_path)
    [command] = ci_commands(".gitlab-ci.yml")
    shell(command, workspace)
    suite = ElementTree.parse(workspace / "flowlint.xml").getroot()
    assert suite.iter("failure") and "FL001" in ElementTree.tostring(suite, encoding="unicode")


def test_install_lines_name_the_published_distribution() -> None:
    project_table = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project_table["name"] == "kestra-flowlint"
    installs = re.findall(r"pip install ([\w.\-\[\]\"]+)", README)
    published = [name for name in installs if name not in (".", '".[test]"', '-e')
                 and not name.startswith(("-", "pandas", "dbt", "requests", "psutil"))
                 and "flowlint" in name]
    # `pip install "kestra-flowlint @ git+..."` (before the first release) names it too.
    assert published and all(name.lstrip('"') == "kestra-flowlint" for name in published), \
        published
    assert project_table["version"] == flowlint.__version__
