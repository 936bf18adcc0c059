"""The command line as users run it: exit codes, formats, options, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from helpers import BAD_FLOW, FIXTURES, GOOD_FLOW

from flowlint.cli import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture()
def flows(tmp_path: Path) -> Path:
    (tmp_path / "bad.yaml").write_text(BAD_FLOW)
    (tmp_path / "good.yml").write_text(GOOD_FLOW)
    return tmp_path


def test_full_format_shows_position_source_line_and_caret(flows, capsys) -> None:
    code, out, err = run(["check", str(flows / "bad.yaml")], capsys)
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith(f"{flows / 'bad.yaml'}:7:9: FL001 [*] pip install in beforeCommands")
    assert "'transform'" in first and "'pip install pandas requests'" in first
    assert len(first) - len(str(flows)) < 140   # what and where; the remedy below
    assert "7 |       - pip install pandas requests" in out
    assert out.splitlines()[2].endswith("^" * len("pip install pandas requests"))
    assert out.splitlines()[3].startswith("  = help: the task runs in a fresh container")
    assert "Kestra's default" in out.splitlines()[3]
    assert out.splitlines()[4] == ("  = fix (dependencies): move pandas, requests to "
                                   "`dependencies`")
    assert "Found 1 finding(s) in 1 file(s) (2 file(s) checked)." not in err
    assert "Found 1 finding(s) in 1 file(s) (1 file(s) checked)." in err
    assert "[*] 1 fixable with `flowlint check --fix`." in err


def test_bare_flowlint_means_check_and_clean_exit_zero(flows, capsys) -> None:
    code, out, _ = run([str(flows / "good.yml")], capsys)
    assert (code, out) == (0, "")


def test_directory_walk_and_exit_zero(flows, capsys) -> None:
    code, out, _ = run(["check", "--format", "concise", "--exit-zero", str(flows)], capsys)
    assert code == 0
    assert out.count("FL001") == 1


def test_select_and_ignore(flows, capsys) -> None:
    assert run(["check", "--ignore", "FL001", str(flows)], capsys)[0] == 0
    assert run(["check", "--select", "FL00", str(flows)], capsys)[0] == 1
    assert run(["check", "--select", "FL002,FL004", str(flows)], capsys)[0] == 0


def test_json_output_matches_the_contract_and_schema(flows, capsys) -> None:
    code, out, _ = run(["check", "--format", "json", str(flows / "bad.yaml")], capsys)
    assert code == 1
    report = json.loads(out)
    schema_path = Path(__file__).parent.parent / "flowlint" / "schemas" / "report.schema.json"
    jsonschema.validate(report, json.loads(schema_path.read_text()))
    (finding,) = report["findings"]
    assert finding["rule"] == "FL001"
    assert finding["name"] == "pip-install-per-execution"
    assert finding["severity"] == "error"
    assert (finding["line"], finding["column"]) == (7, 9)
    assert (finding["end_line"], finding["end_column"]) == (7, 36)
    assert finding["task_id"] == "transform"
    assert finding["yaml_path"] == "tasks[0].beforeCommands[0]"


def test_json_report_of_every_fixture_validates(capsys) -> None:
    out = run(["check", "--format", "json", "--exit-zero", str(FIXTURES)], capsys)[1]
    schema_path = Path(__file__).parent.parent / "flowlint" / "schemas" / "report.schema.json"
    report = json.loads(out)
    jsonschema.validate(report, json.loads(schema_path.read_text()))
    assert len(report["findings"]) > 20


def test_output_file_and_statistics(flows, tmp_path, capsys) -> None:
    target = tmp_path / "report.txt"
    code, out, _ = run(["check", "--statistics", "-o", str(target), str(flows)], capsys)
    assert code == 1
    assert target.read_text() == "    1  FL001  [*] pip-install-per-execution\n"
    assert out == ""


def test_statistics_are_a_report_of_their_own(flows, capsys) -> None:
    code, out, _ = run(["check", "--statistics", "--format", "json", str(flows)], capsys)
    assert code == 1
    assert json.loads(out) == [{"code": "FL001", "name": "pip-install-per-execution",
                                "count": 1, "fixable": 1, "unsafe_fixable": 0}]
    code, out, err = run(["check", "--statistics", "--format", "sarif", str(flows)], capsys)
    assert code == 2 and out == "" and "--statistics is a report of its own" in err


def test_non_utf8_file_is_a_clear_error_and_others_go_on(flows, capsys) -> None:
    (flows / "latin1.yaml").write_bytes("id: caf\xe9\n".encode("latin-1"))
    code, out, err = run(["check", "--format", "concise", str(flows)], capsys)
    assert code == 2
    assert "latin1.yaml: error: not valid UTF-8: byte 0xe9 at offset 7" in err
    assert "FL001" in out


def test_syntax_error_is_fl000_with_position(tmp_path, capsys) -> None:
    (tmp_path / "broken.yaml").write_text("id: x\nnamespace: y\ntasks: [\n")
    code, out, _ = run(["check", "--format", "concise", str(tmp_path)], capsys)
    assert code == 1
    assert ":4:1: FL000 invalid YAML" in out


def test_verbose_says_when_a_document_is_not_a_flow(tmp_path, capsys) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx\n")
    code, _, err = run(["check", "--verbose", str(tmp_path)], capsys)
    assert code == 0
    assert "not Kestra flows" in err


def test_exclude_and_skipped_folders(flows, capsys) -> None:
    (flows / "node_modules").mkdir()
    (flows / "node_modules" / "x.yaml").write_text(BAD_FLOW)
    (flows / "vendor").mkdir()
    (flows / "vendor" / "y.yaml").write_text(BAD_FLOW)
    out = run(["check", "--format", "concise", "--exclude", "vendor", str(flows)], capsys)[1]
    assert out.count("FL001") == 1


def test_a_virtualenv_under_any_name_is_skipped(flows, capsys) -> None:
    """A folder holding pyvenv.cfg is a virtualenv: its packages' YAML is not walked, at any
    depth; the folder named on the command line is checked whatever it holds."""
    env = flows / "deps" / "py311"
    (env / "share" / "pkg").mkdir(parents=True)
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (env / "share" / "pkg" / "x.yaml").write_text(BAD_FLOW)
    (env / "flow.yaml").write_text(BAD_FLOW)
    out = run(["check", "--format", "concise", str(flows)], capsys)[1]
    assert out.count("FL001") == 1 and "py311" not in out
    out = run(["check", "--format", "concise", str(env)], capsys)[1]
    assert out.count("FL001") == 2


def test_rules_and_rule_commands(capsys) -> None:
    code, out, _ = run(["rules"], capsys)
    assert code == 0 and "FL001  pip-install-per-execution" in out
    code, out, _ = run(["rule", "fl002"], capsys)
    assert code == 0 and "## Why is this bad?" in out
    assert run(["rule", "FL999"], capsys)[0] == 2


def test_bad_usage_is_exit_2(capsys) -> None:
    assert run(["check", "--format", "xml", "."], capsys)[0] == 2
    assert run(["check", "--target-version", "3.1", "."], capsys)[0] == 2


def test_python_dash_m_and_version() -> None:
    done = subprocess.run([sys.executable, "-m", "flowlint", "--version"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "flowlint" in done.stdout
