"""`flowlint server-requirements`: packages to install once where the worker runs."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from flowlint.remedy_files.server_requirements import build_server_requirements

FLOW = """\
id: etl
namespace: company.team
tasks:
  - id: in_docker
    type: io.kestra.plugin.scripts.python.Script
    containerImage: python:3.12-slim
    beforeCommands:
      - pip install --upgrade pip && pip install pandas==2.2 'numpy<2'
    script: print(1)
  - id: on_worker
    type: io.kestra.plugin.scripts.python.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    beforeCommands:
      - pip install requests pandas
    commands: [python main.py]
  - id: legacy
    type: io.kestra.core.tasks.scripts.Python
    requirements: ["scikit-learn[extra]>=1.3"]
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    cache: {patterns: ["deps/**"], ttl: PT24H}
    tasks:
      - id: cached
        type: io.kestra.plugin.scripts.python.Script
        beforeCommands: [pip install --target=deps duckdb]
        script: print(1)
"""
PACKAGES = "'numpy<2' pandas==2.2 requests 'scikit-learn[extra]>=1.3'"


def write_flows(tmp_path: Path, **files: str) -> str:
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    return str(tmp_path)


def test_requirements_command_line_and_compose(tmp_path: Path) -> None:
    result = build_server_requirements([write_flows(tmp_path, etl=FLOW)])

    assert result.problems == []
    assert result.requirements == ("numpy<2", "pandas==2.2", "requests",
                                   "scikit-learn[extra]>=1.3")
    assert result.requirements_txt == "numpy<2\npandas==2.2\nrequests\nscikit-learn[extra]>=1.3\n"
    assert [ref.task for ref in result.tasks] == ["in_docker", "on_worker", "legacy"]
    assert result.command_line == (
        f"pip install {PACKAGES} && ./kestra server standalone --worker-thread=16")
    text = result.text
    assert result.command_line in text
    assert result.requirements_txt in text
    assert result.compose_snippet in text
    assert "duckdb" not in text   # cached by its WorkingDirectory


def test_compose_snippet_is_valid_yaml_that_installs_then_starts(tmp_path: Path) -> None:
    result = build_server_requirements([write_flows(tmp_path, etl=FLOW)])
    document = YAML(typ="safe", pure=True).load(result.compose_snippet)

    service = document["services"]["kestra"]
    assert service["user"] == "root"
    assert service["entrypoint"] == ["/bin/sh", "-c"]
    [script] = service["command"]
    assert script == (f"PIP_BREAK_SYSTEM_PACKAGES=1 pip install {PACKAGES} && exec "
                      "docker-entrypoint.sh server standalone --worker-thread=16")
    words = shlex.split(script)
    assert words[words.index("install") + 1:words.index("&&")] == [
        "numpy<2", "pandas==2.2", "requests", "scikit-learn[extra]>=1.3"]
    checked = subprocess.run(["/bin/sh", "-n", "-c", script], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_conflicts_across_flows_are_reported(tmp_path: Path) -> None:
    other = FLOW.replace("id: etl", "id: report").replace("pandas==2.2", "pandas==2.1")
    result = build_server_requirements([write_flows(tmp_path, a=FLOW, b=other)])

    [problem] = result.problems
    assert problem.startswith("conflicting requirements for 'pandas': 'pandas==2.2'")
    assert "company.team/report task 'in_docker'" in problem and "'pandas==2.1'" in problem
    assert "pandas==2.2\n" in result.requirements_txt
    assert "# conflict: 'pandas==2.1' is wanted by" in result.requirements_txt
    assert "pandas==2.1" not in result.command_line


def test_index_options_and_what_cannot_be_installed_ahead(tmp_path: Path) -> None:
    flow = FLOW.replace(
        "pip install requests pandas",
        'pip install -i https://pypi.example.com/simple requests "{{ vars.pkg }}" -r req.txt')
    result = build_server_requirements([write_flows(tmp_path, etl=flow)])

    assert result.requirements_txt.startswith("--index-url https://pypi.example.com/simple\n")
    assert result.command_line.startswith(
        "pip install --index-url https://pypi.example.com/simple 'numpy<2'")
    problems = "\n".join(result.problems)
    assert "'{{ vars.pkg }}' is a Pebble expression" in problems
    assert "reads requirements file 'req.txt'" in problems


def test_nothing_to_install(tmp_path: Path) -> None:
    flow = "id: a\nnamespace: b\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n" \
           "    message: hi\n"
    result = build_server_requirements([write_flows(tmp_path, a=flow)])
    assert (result.requirements, result.command_line, result.compose_snippet) == ((), "", "")
    assert "no Python package installs" in result.text


@pytest.mark.parametrize("workers", [16, 4])
def test_output_is_deterministic(tmp_path: Path, workers: int) -> None:
    other = FLOW.replace("id: etl", "id: report")
    folder = write_flows(tmp_path, b=other, a=FLOW)
    first = build_server_requirements([folder], worker_threads=workers).text
    second = build_server_requirements([folder], worker_threads=workers).text
    assert first.encode() == second.encode()
    assert f"--worker-thread={workers}" in first


def test_packages_installed_by_python_scripts_are_listed(tmp_path: Path) -> None:
    (tmp_path / "flow.yaml").write_text("""\
id: etl
namespace: company.team
tasks:
  - id: local
    type: io.kestra.plugin.scripts.python.Script
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    script: |
      import os
      os.system("pip install httpx==0.27")
      import httpx
      print(httpx.__version__)
""")
    result = build_server_requirements([str(tmp_path)])
    assert "pip install httpx==0.27 && ./kestra server standalone" in result.text
