"""`--fix`, `--diff`, editor mode, config files and suppressions, as users run them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from flowlint.cli import main

FLOW = """\
id: etl
namespace: company.team

tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi   # a comment outside the fixed task
  - id: transform
    type: io.kestra.plugin.scripts.python.Script
    beforeCommands:
      - pip install pandas requests
    script: |
      import pandas
      import requests
"""
FIXED_WITH_DEPENDENCIES = FLOW.replace(
    "    beforeCommands:\n      - pip install pandas requests\n", "").replace(
    "      import requests\n", "      import requests\n    dependencies:\n      - pandas\n"
    "      - requests\n")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture()
def flow(tmp_path: Path) -> Path:
    path = tmp_path / "etl.yaml"
    path.write_text(FLOW)
    return path


def test_fix_writes_the_default_strategy_and_exits_clean(flow, capsys) -> None:
    code, _, err = run(["--fix", str(flow)], capsys)
    assert code == 0
    assert flow.read_text() == FIXED_WITH_DEPENDENCIES
    assert "Applied 1 fix(es) in 1 file(s)." in err
    assert run(["--fix", str(flow)], capsys)[0] == 0
    assert flow.read_text() == FIXED_WITH_DEPENDENCIES


def test_exit_non_zero_on_fix(flow, capsys) -> None:
    assert run(["--fix", "--exit-non-zero-on-fix", str(flow)], capsys)[0] == 1


def test_diff_writes_nothing_and_exits_one(flow, capsys) -> None:
    code, out, _ = run(["check", "--diff", str(flow)], capsys)
    assert code == 1
    assert "-      - pip install pandas requests" in out
    assert "+    dependencies:" in out
    assert flow.read_text() == FLOW


def test_unsafe_fix_needs_the_flag(flow, capsys) -> None:
    code, _, err = run(["--fix", "--strategy", "process-runner", str(flow)], capsys)
    assert code == 1 and flow.read_text() == FLOW
    assert "--unsafe-fixes" in err
    code, _, _ = run(["--fix", "--unsafe-fixes", "--strategy", "process-runner", str(flow)],
                     capsys)
    assert code == 0
    assert "type: io.kestra.plugin.core.runner.Process" in flow.read_text()


def test_custom_image_without_image_says_how(flow, capsys) -> None:
    code, out, _ = run(["check", "--format", "json", "--strategy", "custom-image", str(flow)],
                       capsys)
    fix = json.loads(out)["findings"][0]["fix"]
    assert fix["applicable"] is False and "--image" in fix["reason"]
    run(["--fix", "--unsafe-fixes", "--strategy", "custom-image", "--image",
         "reg.example/{namespace}/{task}:2", str(flow)], capsys)
    assert "containerImage: reg.example/company.team/transform:2" in flow.read_text()


def test_show_fixes_lists_each_fix(flow, capsys) -> None:
    _, _, err = run(["--fix", "--show-fixes", str(flow)], capsys)
    assert "fixed FL001 'transform': move pandas, requests to `dependencies`" in err


@pytest.mark.parametrize("paths", [["-", "-"], ["-", "etl.yaml"], ["etl.yaml", "-"]])
def test_standard_input_is_a_path_of_its_own(flow, capsys, monkeypatch, paths) -> None:
    """`- -` and `- a.yaml` read a file named `-`: a usage error instead."""
    monkeypatch.chdir(flow.parent)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(FLOW.encode())))
    code, out, err = run(["check", "--no-cache", *paths], capsys)
    assert (code, out) == (2, "")
    assert err == ("flowlint: error: `-` (standard input) is a path of its own: give it once, "
                   "without other paths\n")


@pytest.mark.parametrize(("paths", "accepted"), [([], True), (["-"], True),
                                                 (["etl.yaml"], False), (["-", "etl.yaml"], False)])
def test_stdin_filename_takes_no_other_path(flow, capsys, monkeypatch, paths, accepted) -> None:
    monkeypatch.chdir(flow.parent)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(FLOW.encode())))
    code, out, err = run(["check", "--no-cache", "--format", "concise", "--stdin-filename",
                          "flows/x.yaml", *paths], capsys)
    if accepted:
        assert code == 1 and out.startswith("flows/x.yaml:")
    else:
        assert (code, out) == (2, "") and err.startswith("flowlint: error: ")


def test_stdin_editor_mode_prints_the_fixed_flow(flow, capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(FLOW.encode())))
    code, out, err = run(["check", "--fix", "--stdin-filename", "flows/etl.yaml", "-"], capsys)
    assert out == FIXED_WITH_DEPENDENCIES
    assert code == 0
    assert flow.read_text() == FLOW


def test_stdin_check_reports_findings_with_the_given_name(capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(FLOW.encode())))
    code, out, _ = run(["check", "--format", "concise", "--stdin-filename", "flows/etl.yaml",
                        "-"], capsys)
    assert code == 1
    assert out.startswith("flows/etl.yaml:11:9: FL001")


def test_target_version_below_023_falls_back_to_a_cached_working_directory(flow, capsys) -> None:
    code, out, _ = run(["check", "--diff", "--unsafe-fixes", "--target-version", "0.22",
                        str(flow)], capsys)
    assert "+    type: io.kestra.plugin.core.flow.WorkingDirectory" in out
    assert "set -- pandas requests && [" in out and '--target=deps "$@"' in out


def test_config_file_sets_strategy_and_per_file_ignores(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "flows" / "legacy").mkdir(parents=True)
    (tmp_path / "flows" / "a.yaml").write_text(FLOW)
    (tmp_path / "flows" / "legacy" / "b.yaml").write_text(FLOW)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.flowlint]\nignore = ["FL010"]\n'
        '[tool.flowlint.per-file-ignores]\n"flows/legacy/*" = ["FL001"]\n'
        '[tool.flowlint.fix]\nstrategy = "process-runner"\n')
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(["check", "--format", "json", "flows"], capsys)
    findings = json.loads(out)["findings"]
    assert [(item["path"], item["rule"]) for item in findings] == [("flows/a.yaml", "FL001")]
    assert findings[0]["fix"]["strategy"] == "process-runner"
    assert run(["check", "--isolated", "--format", "concise", "flows"], capsys)[1].count(
        "FL001") == 2


def test_invalid_config_is_exit_2_with_the_key(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / ".flowlint.toml").write_text('[fix]\nstratgy = "auto"\n')
    (tmp_path / "a.yaml").write_text(FLOW)
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["check", "a.yaml"], capsys)
    assert code == 2
    assert "fix.stratgy" in err and "did you mean 'strategy'" in err


def test_config_command_prints_the_effective_settings(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / ".flowlint.toml").write_text('target-version = "0.22"\n')
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(["config", "."], capsys)
    assert code == 0
    assert 'target-version = "0.22"' in out and ".flowlint.toml" in out


def test_config_command_refuses_an_unknown_rule_as_check_does(tmp_path, capsys,
                                                             monkeypatch) -> None:
    (tmp_path / ".flowlint.toml").write_text('select = ["FL02"]\n')
    (tmp_path / "a.yaml").write_text(FLOW)
    monkeypatch.chdir(tmp_path)
    for command in (["config", "."], ["check", "."]):
        code, _, err = run(command, capsys)
        assert code == 2 and "unknown rule selector 'FL02' (did you mean 'FL002'?)" in err


def test_suppression_comment_is_honoured_counted_and_not_fixed(flow, capsys) -> None:
    flow.write_text(FLOW.replace("  - id: transform", "  - id: transform  # flowlint: "
                                 "ignore[FL001] image pinned by the platform team"))
    code, _, err = run(["--fix", str(flow)], capsys)
    assert code == 0
    assert "1 suppressed" in err
    assert "pip install pandas requests" in flow.read_text()
    code, out, _ = run(["check", "--no-ignores", "--format", "concise", str(flow)], capsys)
    assert code == 1 and "FL001" in out


def test_unused_suppression_is_fl900_and_fixed(flow, capsys) -> None:
    flow.write_text(FLOW.replace("message: hi", "message: hi  # flowlint: ignore[FL001]"))
    code, out, _ = run(["check", "--format", "concise", "--select", "FL001,FL900", str(flow)],
                       capsys)
    assert "FL900 unused suppression" in out
    # FL001 must run too: codes of rules not selected are never called unused.
    run(["--fix", "--select", "FL001,FL900", str(flow)], capsys)
    assert "flowlint: ignore" not in flow.read_text()
    assert "    message: hi\n" in flow.read_text()


def test_github_format_is_chosen_on_github_actions(flow, capsys, monkeypatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    _, out, _ = run(["check", "--select", "FL001", str(flow)], capsys)
    assert out.startswith(f"::error file={flow},line=11,col=9,")


def test_image_command_writes_a_build_context(flow, tmp_path, capsys) -> None:
    out_dir = tmp_path / "build"
    code, out, _ = run(["image", str(flow), "--output", str(out_dir),
                        "--image", "reg.example/{flow}:1"], capsys)
    assert code == 0
    dockerfile = out_dir / "reg.example-etl-1" / "Dockerfile"
    assert str(dockerfile) in out
    assert "FROM python:3.13-slim" in dockerfile.read_text()
    assert (out_dir / "reg.example-etl-1" / "requirements.txt").read_text().split() == [
        "pandas", "requests"]


def test_server_requirements_command_prints_the_start_command(flow, capsys) -> None:
    code, out, _ = run(["server-requirements", str(flow)], capsys)
    assert code == 0
    assert "pip install pandas requests && ./kestra server standalone" in out


def test_target_2_0_turns_runner_into_task_runner(tmp_path, capsys) -> None:
    path = tmp_path / "old.yaml"
    path.write_text(FLOW.replace("    beforeCommands:", "    runner: DOCKER\n    beforeCommands:"))
    run(["--fix", "--unsafe-fixes", "--strategy", "process-runner", "--target-version", "2.0",
         str(path)], capsys)
    text = path.read_text()
    assert "runner: DOCKER" not in text and "runner: PROCESS" not in text
    assert "    taskRunner:\n      type: io.kestra.plugin.core.runner.Process\n" in text


def test_stdin_filename_gets_config_and_per_file_ignores(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.flowlint.per-file-ignores]\n"flows/legacy/*" = ["FL001"]\n')
    monkeypatch.chdir(tmp_path)
    for name, expected in (("flows/legacy/etl.yaml", 0), ("flows/etl.yaml", 1)):
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(FLOW.encode())))
        code, out, _ = run(["check", "--format", "concise", "--select", "FL001",
                            "--stdin-filename", name, "-"], capsys)
        assert code == expected, (name, out)


DIGEST = "sha256:" + "0123456789abcdef" * 4
DBT = f"""\
id: dbt_run
namespace: company.team
tasks:
  - id: dbt
    type: io.kestra.plugin.dbt.cli.DbtCLI
    dockerOptions:
      image: ghcr.io/kestra-io/dbt-duckdb:1.7@{DIGEST}
    commands:
      - dbt build
"""


def test_fl008_on_dbt_sets_the_policy_in_its_docker_options(tmp_path, capsys) -> None:
    """dbt tasks set the Docker options through `dockerOptions`: the policy goes there, and
    the dbt image stays (a new `docker:` block would replace the options)."""
    path = tmp_path / "dbt.yaml"
    path.write_text(DBT)
    code, _, err = run(["check", "--select", "FL008", "--target-version", "0.22", "--fix",
                        "--unsafe-fixes", str(path)], capsys)
    assert code == 0, err
    assert path.read_text() == DBT.replace(
        f"dbt-duckdb:1.7@{DIGEST}\n", f"dbt-duckdb:1.7@{DIGEST}\n      pullPolicy: IF_NOT_PRESENT\n")


DOCKER_BLOCK = """\
id: etl
namespace: company.team
tasks:
  - id: transform
    type: io.kestra.plugin.scripts.python.Commands
    docker:
      image: python:3.11-slim
      pullPolicy: ALWAYS
    beforeCommands:
      - pip install pandas
    commands:
      - python main.py
"""


@pytest.mark.parametrize(("version", "expected"), [
    ("1.0", "    docker:\n      image: reg.example/etl-transform:1\n"
            "      pullPolicy: IF_NOT_PRESENT\n    commands:\n      - python main.py\n"),
    ("2.0", "    commands:\n      - python main.py\n    NOTE\n"
            "    containerImage: reg.example/etl-transform:1\n"
            "    taskRunner:\n      type: io.kestra.plugin.scripts.runner.docker.Docker\n"
            "      pullPolicy: IF_NOT_PRESENT\n"),
])
def test_custom_image_takes_effect_over_a_docker_block(tmp_path, capsys, version,
                                                       expected) -> None:
    """`docker.image` wins over `containerImage`: the image is written there, and Kestra 2.0,
    which reads no `docker` block, gets it in containerImage with a Docker taskRunner."""
    path = tmp_path / "etl.yaml"
    path.write_text(DOCKER_BLOCK)
    code, _, err = run(["check", "--select", "FL001", "--target-version", version, "--fix",
                        "--unsafe-fixes", "--strategy", "custom-image", "--image",
                        "reg.example/{flow}-{task}:1", str(path)], capsys)
    assert code == 0, err
    note = ('# flowlint-image: {"image": "reg.example/etl-transform:1", "namespace": '
            '"company.team", "flow": "etl", "task": "transform", "from": "python:3.11-slim", '
            '"pip": ["pandas"]}')
    head = DOCKER_BLOCK.split("    docker:")[0]
    expected = expected.replace("NOTE", note)
    if version == "1.0":
        expected += f"    {note}\n"
    assert path.read_text() == head + expected


VENV_FLOW = """\
id: etl
namespace: company.team
tasks:
  - id: transform
    type: io.kestra.plugin.scripts.python.Commands
    containerImage: python:3.12-slim
    beforeCommands:
      - pip install pandas requests
    commands:
      - python main.py --day "{{ trigger.date }}"
"""


def test_the_venv_cache_layout_is_refused_with_the_reason(tmp_path: Path, capsys,
                                                          monkeypatch) -> None:
    """Kestra restores a WorkingDirectory cache without file modes and with symlinks turned
    into copies: a cached virtualenv's python would not run from the second execution on."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".flowlint.toml").write_text(
        '[fix]\nstrategy = "working-dir-cache"\ncache-layout = "venv"\n')
    flow = tmp_path / "etl.yaml"
    flow.write_text(VENV_FLOW)
    code, out, err = run(["check", "--fix", "--unsafe-fixes", "etl.yaml"], capsys)
    assert code == 1 and flow.read_text() == VENV_FLOW
    assert "the venv cache layout is not written: Kestra restores a WorkingDirectory cache " \
           "without file modes or symlinks" in out


def test_a_virtualenv_without_pip_provides_no_pip(tmp_path: Path, capsys) -> None:
    """The model gives a venv's bin/pip only to a venv made with pip."""
    from flowlint.facts.flow_facts import FlowFacts
    from flowlint.facts.task_run import task_run
    from flowlint.kestra.flow import build_flow
    from flowlint.source import Source
    from flowlint.yamlnodes import compose

    def run_of(commands: str) -> object:
        text = VENV_FLOW.replace("      - pip install pandas requests\n", commands)
        source = Source.from_text("f.yaml", text)
        flow = build_flow(source, compose(source)[0][0], 0)
        return task_run(FlowFacts(flow), flow.tasks[0])

    made = run_of("      - python3 -m venv env && ./env/bin/pip install pandas\n")
    assert made.problems == {} and made.resolved["program pip"].startswith("'python3 -m venv")
    bare = run_of("      - python3 -m venv --without-pip env && ./env/bin/pip install pandas\n")
    assert "program pip" in bare.problems


def test_a_cached_install_keeps_the_pip_the_task_called(tmp_path: Path, capsys) -> None:
    """`./venv/bin/pip install x` becomes a cached install by the same ./venv/bin/pip: a bare
    `pip` would be whichever the worker has on PATH (the verifier refuses that change)."""
    flow = tmp_path / "venv.yaml"
    flow.write_text("""\
id: venv_report
namespace: company.team
tasks:
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    cache:
      patterns:
        - deps/**
      ttl: PT24H
    tasks:
      - id: report
        type: io.kestra.plugin.scripts.python.Commands
        taskRunner:
          type: io.kestra.plugin.core.runner.Process
        beforeCommands:
          - python -m venv venv
          - ./venv/bin/pip install openpyxl==3.1.5
        commands:
          - ./venv/bin/python -c "import openpyxl"
""")
    code, out, err = run(["check", "--no-cache", "--diff", "--unsafe-fixes", "--strategy",
                          "working-dir-cache", str(flow)], capsys)
    assert code == 1, err
    assert '|| { rm -rf deps && ./venv/bin/pip install --target=deps "$@"' in out
