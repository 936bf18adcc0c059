"""Readable output: colour where a person reads it and nowhere else, markers for fixable
findings, a summary that counts what it says, and --exit-on."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from helpers import BAD_FLOW

from flowlint.cli import main
from flowlint.report.style import PLAIN, choose_style

# FL008 (warning) only: a moving tag that the runner checks at every run.
WARNING_FLOW = """id: pull
namespace: company.team
tasks:
  - id: query
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: ghcr.io/acme/tool:latest
    taskRunner:
      type: io.kestra.plugin.scripts.runner.docker.Docker
      pullPolicy: ALWAYS
    commands:
      - tool run
"""
CLEAN_FLOW = ("id: ok\nnamespace: company.team\ntasks:\n  - id: log\n"
              "    type: io.kestra.plugin.core.log.Log\n    message: hi\n")
ESCAPE = "\x1b["


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("choice", "environ", "terminal", "colour"), [
    ("auto", {}, True, True),
    ("auto", {}, False, False),
    ("auto", {"NO_COLOR": "1"}, True, False),
    ("auto", {"FORCE_COLOR": "1"}, False, True),
    ("auto", {"FORCE_COLOR": "0"}, False, False),
    ("auto", {"TERM": "dumb"}, True, False),
    ("auto", {"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),   # NO_COLOR wins
    ("always", {"NO_COLOR": "1"}, False, True),
    ("never", {"FORCE_COLOR": "1"}, True, False),
])
def test_colour_follows_the_terminal_and_the_environment(choice, environ, terminal,
                                                         colour) -> None:
    stream = Terminal() if terminal else io.StringIO()
    assert choose_style(choice, stream, environ).colour is colour


def test_links_only_where_the_terminal_is_known_to_show_them() -> None:
    assert not choose_style("auto", Terminal(), {}).links
    assert choose_style("auto", Terminal(), {"TERM_PROGRAM": "WezTerm"}).links
    assert choose_style("auto", Terminal(), {"VTE_VERSION": "7200"}).links
    assert not choose_style("auto", Terminal(), {"VTE_VERSION": "4000"}).links
    assert not choose_style("always", io.StringIO(), {"TERM_PROGRAM": "WezTerm"}).links
    assert PLAIN.rule_code("FL001", "pip-install-per-execution", "error") == "FL001"


def flows(tmp_path: Path, **files: str) -> str:
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    return str(tmp_path)


def run(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(["check", "--no-cache", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_piped_output_has_no_colour_and_always_colours_the_text_formats_only(
        tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    folder = flows(tmp_path, bad=BAD_FLOW)
    _, out, _ = run([folder], capsys)
    assert ESCAPE not in out
    _, out, _ = run(["--color", "always", folder], capsys)
    assert "\x1b[1;31mFL001\x1b[0m" in out and "\x1b[1;36mhelp\x1b[0m" in out
    for machine in ("json", "sarif", "github", "junit", "json-lines"):
        _, out, _ = run(["--color", "always", "--format", machine, folder], capsys)
        assert ESCAPE not in out, machine
    monkeypatch.setenv("FORCE_COLOR", "1")
    _, out, _ = run(["--format", "concise", folder], capsys)
    assert ESCAPE in out
    _, _, _ = run(["-o", str(tmp_path / "report.txt"), folder], capsys)
    assert ESCAPE not in (tmp_path / "report.txt").read_text()   # a file is never coloured


def test_a_long_line_is_quoted_as_a_window_around_each_finding(tmp_path, capsys) -> None:
    """A one-line flow with a finding per task: each block quotes 200 characters around its
    finding (cut ends marked …) with the caret under it, not the whole line each time."""
    from flowlint.report.text import LONGEST_QUOTE

    tasks = ", ".join(f"{{id: t{index}, type: io.kestra.plugin.scripts.python.Script, "
                      f"beforeCommands: [pip install pandas], script: 'import pandas'}}"
                      for index in range(60))
    folder = flows(tmp_path, one=f"{{id: one, namespace: n, tasks: [{tasks}]}}\n")
    _, out, _ = run(["--select", "FL001", folder], capsys)
    blocks = out.split("\n\n")
    assert len(blocks) == 60
    for block in blocks:
        lines = block.splitlines()
        column = int(lines[0].split(":")[2])
        gutter, quoted = lines[1].split(" | ", 1)
        assert len(quoted) <= LONGEST_QUOTE + 2
        caret = lines[2][len(gutter) + 3:]
        at = len(caret) - len(caret.lstrip(" "))
        assert quoted[at:].startswith("pip install pandas"), (column, quoted, caret)
        assert caret.strip() == "^" * len("pip install pandas")


def test_full_format_marks_safe_and_unsafe_fixes(tmp_path, capsys) -> None:
    # FL005's fix moves the install into a cached folder: unsafe; FL001's is safe.
    working_directory = """id: wd
namespace: company.team
tasks:
  - id: project
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: build
        type: io.kestra.plugin.scripts.python.Commands
        containerImage: python:3.12-slim
        beforeCommands:
          - pip install dbt-duckdb==1.8.4
        commands:
          - dbt build
"""
    folder = flows(tmp_path, bad=BAD_FLOW, wd=working_directory)
    _, out, err = run([folder], capsys)
    assert "FL001 [*] pip install" in out and "FL005 [-] pip install" in out
    assert "[*] 1 fixable with `flowlint check --fix` (1 more with --unsafe-fixes)." in err
    _, out, _ = run(["--format", "concise", folder], capsys)
    assert "[*]" not in out and "[-]" not in out   # concise lines keep one stable shape


def test_summary_counts_findings_files_with_findings_and_files_checked(tmp_path,
                                                                      capsys) -> None:
    folder = flows(tmp_path, bad=BAD_FLOW, warn=WARNING_FLOW, ok=CLEAN_FLOW, ok2=CLEAN_FLOW)
    _, _, err = run([folder], capsys)
    assert "Found 2 finding(s) in 2 file(s) (4 file(s) checked)." in err
    _, _, err = run([str(tmp_path / "ok.yaml")], capsys)
    assert "All checks passed (1 file(s) checked)." in err


def test_exit_on_sets_the_lowest_severity_that_fails(tmp_path, capsys) -> None:
    warning_only = flows(tmp_path, warn=WARNING_FLOW)
    code, out, _ = run(["--exit-on", "error", warning_only], capsys)
    assert code == 0 and "FL008" in out   # still reported, just not failing
    code, _, err = run(["--exit-on", "warning", warning_only], capsys)
    assert "1 fixable with `flowlint check --fix --unsafe-fixes`." in err
    assert code == 1
    code, _, _ = run([warning_only], capsys)   # default: any finding fails
    assert code == 1
    (tmp_path / "bad.yaml").write_text(BAD_FLOW)
    code, _, _ = run(["--exit-on", "error", str(tmp_path)], capsys)
    assert code == 1


def test_json_findings_carry_the_help(tmp_path, capsys) -> None:
    _, out, _ = run(["--format", "json", flows(tmp_path, bad=BAD_FLOW)], capsys)
    (finding,) = json.loads(out)["findings"]
    assert finding["message"] == ("pip install in beforeCommands of 'transform' runs at every "
                                  "execution: 'pip install pandas requests'")
    assert finding["help"].startswith("the task runs in a fresh container each run")


def test_rules_as_json_list_every_rule(capsys) -> None:
    assert main(["rules", "--format", "json"]) == 0
    rules = json.loads(capsys.readouterr().out)
    by_code = {rule["code"]: rule for rule in rules}
    assert by_code["FL001"]["name"] == "pip-install-per-execution"
    assert by_code["FL007"]["enabled_by_default"] is False
    assert all(rule["url"].endswith(f"rules/{rule['code']}.yaml") for rule in rules)
    assert Path(__file__).parent.parent.joinpath("rules", "FL001.yaml").is_file()


@pytest.mark.parametrize("output_format", ["requirements", "shell", "compose"])
def test_server_requirements_forms_are_files_their_tools_read(tmp_path, capsys,
                                                              output_format) -> None:
    import subprocess

    from packaging.requirements import Requirement
    from ruamel.yaml import YAML

    folder = flows(tmp_path, bad=BAD_FLOW.replace("pandas requests", "pandas==2.2.3 'requests>=2'"))
    assert main(["server-requirements", "--format", output_format, folder]) == 0
    out = capsys.readouterr().out
    if output_format == "requirements":
        assert [str(Requirement(line)) for line in out.splitlines()] == [
            "pandas==2.2.3", "requests>=2"]
    elif output_format == "shell":
        assert out.startswith("#!/bin/sh\n")
        assert subprocess.run(["sh", "-n"], input=out, text=True).returncode == 0
        assert "pip install pandas==2.2.3 'requests>=2'" in out
    else:
        service = YAML(typ="safe").load(out)["services"]["kestra"]
        assert "pip install pandas==2.2.3 'requests>=2'" in service["command"][0]


def test_server_requirements_one_form_of_nothing_is_empty(tmp_path, capsys) -> None:
    assert main(["server-requirements", "--format", "requirements",
                 flows(tmp_path, ok=CLEAN_FLOW)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "no Python package installs" in captured.err


UNUSED_SUPPRESSION = BAD_FLOW.replace("  - id: transform\n",
                                      "  - id: transform  # flowlint: ignore[FL002]\n")


def test_a_file_level_fix_is_marked_and_counted_like_the_others(tmp_path, capsys) -> None:
    folder = flows(tmp_path, bad=UNUSED_SUPPRESSION)
    _, out, err = run([folder], capsys)
    assert "FL900 [*] unused suppression" in out
    assert "  = fix (edit-comment): remove unused suppression" in out
    assert "[*] 2 fixable with `flowlint check --fix`." in err   # FL001's and FL900's
    _, out, _ = run(["--statistics", "--format", "json", folder], capsys)
    assert [rule["fixable"] for rule in json.loads(out)] == [1, 1]


def test_statistics_mark_rules_with_only_unsafe_fixes(tmp_path, capsys) -> None:
    _, out, _ = run(["--statistics", flows(tmp_path, warn=WARNING_FLOW)], capsys)
    assert out == "    1  FL008  [-] image-pulled-every-run\n"


def test_a_span_over_two_lines_is_underlined_to_the_end_of_the_first(tmp_path,
                                                                    capsys) -> None:
    two_lines = BAD_FLOW.replace("      - pip install pandas requests\n",
                                 "      - pip install\n        pandas requests\n")
    _, out, _ = run([flows(tmp_path, bad=two_lines)], capsys)
    source_line, carets = out.splitlines()[1:3]
    assert source_line == "7 |       - pip install"
    assert carets == " " * len("7 |       - ") + "^" * len("pip install")


@pytest.mark.parametrize(("args", "message"), [
    (["--extend-ignore", "nope"], "Invalid value for '--extend-ignore'"),
    (["--select", ""], "Invalid value for '--select': names no rule"),
    (["--ignore", "FL02"], "unknown rule selector 'FL02'"),
])
def test_selector_errors_name_the_option_given(tmp_path, capsys, args, message) -> None:
    code, out, err = run([*args, flows(tmp_path, bad=BAD_FLOW)], capsys)
    assert code == 2 and out == "" and message in err


def test_a_mistyped_command_lists_the_close_ones(capsys) -> None:
    assert main(["rulez"]) == 2
    assert "(did you mean 'rule' or 'rules'?)" in capsys.readouterr().err


def test_a_duplicate_install_names_one_task_first_and_the_rest_in_the_help(tmp_path,
                                                                         capsys) -> None:
    tasks = "".join(f"""  - id: task_number_{index}
    type: io.kestra.plugin.scripts.python.Commands
    beforeCommands:
      - pip install kestra
    commands:
      - python run.py
""" for index in range(10))
    folder = flows(tmp_path, many=f"id: many\nnamespace: company.team\ntasks:\n{tasks}")
    _, out, _ = run(["--select", "FL011", "--format", "json", folder], capsys)
    last = json.loads(out)["findings"][-1]
    assert last["message"] == ("'task_number_9' installs 'kestra' again, as 'task_number_0' "
                               "and 8 more tasks do: 'pip install kestra'")
    assert last["help"].startswith("'kestra' is also installed by 'task_number_0', "
                                   "'task_number_1', 'task_number_2', 'task_number_3', "
                                   "'task_number_4' and 4 more tasks; install it once")


def test_an_unknown_rule_gets_a_suggestion(capsys) -> None:
    assert main(["rule", "FL0001"]) == 2
    assert "no rule 'FL0001' (did you mean 'FL001'?)" in capsys.readouterr().err
    assert main(["rule", "pip-instal"]) == 2
    assert "(did you mean 'pip-install-per-execution'?)" in capsys.readouterr().err


def test_a_misspelt_code_in_a_suppression_gets_a_suggestion(tmp_path, capsys) -> None:
    text = BAD_FLOW.replace("  - id: transform\n",
                            "  - id: transform  # flowlint: ignore[FL0001]\n")
    _, out, _ = run(["--format", "concise", flows(tmp_path, bad=text)], capsys)
    assert "FL900 malformed suppression: 'FL0001' is not a rule code like FL001 or a rule " \
           "name (did you mean 'FL001'?)" in out


def test_an_unused_suppression_in_a_script_is_reported_not_offered_as_a_fix(tmp_path,
                                                                           capsys) -> None:
    text = BAD_FLOW.replace("    script: print(1)\n",
                            "    script: |\n      print(1)  # flowlint: ignore[FL003]\n")
    _, out, err = run([flows(tmp_path, bad=text)], capsys)
    assert "FL900 unused suppression" in out and "FL900 [*]" not in out
    assert "  = help: remove the comment from the script" in out
    assert "[*] 1 fixable with `flowlint check --fix`." in err   # FL001's alone


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="needs a second file system")
def test_a_report_written_through_a_link_to_another_file_system(tmp_path, capsys) -> None:
    import tempfile

    with tempfile.TemporaryDirectory(dir="/dev/shm") as other:
        target = Path(other) / "report.json"
        (tmp_path / "link.json").symlink_to(target)
        code, _, err = run(["--format", "json", "-o", str(tmp_path / "link.json"),
                            flows(tmp_path, bad=BAD_FLOW)], capsys)
        assert code == 1, err
        assert json.loads(target.read_text())["findings"]
