"""Bounded cost of hostile flows (issue 13, item 4): what a report holds grows with the file,
not with its square. Sizes only, never wall-clock times: benchmarks/growth.py measures those."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowlint.cli import main


def _tasks_installing_one_package(count: int) -> str:
    tasks = "".join(f"  - id: task_{i}\n"
                    "    type: io.kestra.plugin.scripts.python.Commands\n"
                    "    containerImage: python:3.12-slim\n"
                    "    beforeCommands:\n"
                    "      - pip install pandas==2.2.3\n"
                    "    commands:\n"
                    f"      - python step_{i}.py\n" for i in range(count))
    return f"id: many\nnamespace: company.team\n\ntasks:\n{tasks}"


def _check(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str],
           *args: str) -> str:
    flow = tmp_path / "flow.yml"
    flow.write_text(text, encoding="utf-8")
    assert main(["check", "--no-cache", "--isolated", *args, str(flow)]) == 1
    return capsys.readouterr().out


def test_json_report_of_2000_tasks_installing_one_package_is_linear(tmp_path, capsys) -> None:
    count = 2000
    out = _check(tmp_path, _tasks_installing_one_package(count), capsys, "--format", "json")
    findings = json.loads(out)["findings"]
    duplicates = [finding for finding in findings if finding["rule"] == "FL011"]
    assert len(duplicates) == count - 1
    # Each FL011 names a bounded number of earlier tasks and counts the rest.
    assert all(len(finding["message"]) <= 300 for finding in duplicates)
    assert "more tasks" in duplicates[-1]["message"]
    assert all(finding["message"].count("'task_") <= 7 for finding in duplicates)
    # A FL001 finding with its fix and a FL011 finding per task: about 2 kB a task, so the
    # bound is proportional to the tasks (1,000 tasks gave 4.5 MB before FL011 was bounded).
    assert len(out) < 3000 * count


def test_fix_title_of_a_task_with_many_installs_stays_short(tmp_path, capsys) -> None:
    """Every install line of the task is a finding carrying the task's fix, so a title naming
    every package would make the report grow with the square of the installs."""
    count = 300
    lines = "".join(f"      - pip install p{i}\n" for i in range(count))
    text = ("id: installs\nnamespace: company.team\n\ntasks:\n"
            "  - id: install\n"
            "    type: io.kestra.plugin.scripts.python.Commands\n"
            "    containerImage: python:3.12-slim\n"
            f"    beforeCommands:\n{lines}"
            "    commands:\n"
            "      - python main.py\n")
    findings = json.loads(_check(tmp_path, text, capsys, "--format", "json"))["findings"]
    assert len(findings) == count
    titles = {finding["fix"]["title"] for finding in findings}
    names = ", ".join(f"p{i}" for i in range(10))
    assert titles == {f"move {names} and {count - 10} more to `dependencies`"}
    out = _check(tmp_path, text, capsys, "--format", "full")
    assert len(out) < 1000 * count


def test_script_fix_title_counts_the_packages_it_does_not_name(tmp_path, capsys) -> None:
    count = 40
    calls = "".join(f'      subprocess.run(["pip", "install", "pkg-{i}"])\n'
                    for i in range(count))
    text = ("id: script\nnamespace: company.team\n\ntasks:\n"
            "  - id: script\n"
            "    type: io.kestra.plugin.scripts.python.Script\n"
            "    containerImage: python:3.12-slim\n"
            f"    script: |\n      import subprocess\n{calls}      print('done')\n")
    findings = json.loads(_check(tmp_path, text, capsys, "--format", "json",
                                 "--strategy", "process-runner", "--select", "FL003"))["findings"]
    assert len(findings) == count
    title = findings[0]["fix"]["title"]
    assert title.endswith(f"; the script installed pkg-0, pkg-1, pkg-2, pkg-3, pkg-4, pkg-5, "
                          f"pkg-6, pkg-7, pkg-8, pkg-9 and {count - 10} more")


def _task_with_install_lines(count: int) -> str:
    lines = "".join(f"      - pip install package-{i}==1.0\n" for i in range(count))
    return ("id: lines\nnamespace: company.team\n\ntasks:\n  - id: build\n"
            "    type: io.kestra.plugin.scripts.python.Commands\n"
            "    containerImage: python:3.12-slim\n"
            f"    beforeCommands:\n{lines}    commands:\n      - python main.py\n")


@pytest.mark.parametrize("output_format", ["json", "json-lines", "sarif"])
def test_a_fix_shared_by_many_findings_is_written_once(tmp_path, capsys,
                                                       output_format) -> None:
    sizes = [len(_check(tmp_path, _task_with_install_lines(count), capsys,
                        "--format", output_format)) for count in (100, 200)]
    assert sizes[1] < 2.3 * sizes[0]   # linear: the square would be 4x


def test_json_findings_of_one_fix_point_at_the_first(tmp_path, capsys) -> None:
    out = _check(tmp_path, _task_with_install_lines(3), capsys, "--format", "json")
    fixes = [finding["fix"] for finding in json.loads(out)["findings"]]
    assert fixes[0]["edits"] and fixes[0]["edits_in"] is None
    assert [(fix["edits"], fix["edits_in"]) for fix in fixes[1:]] == [(None, 0), (None, 0)]
