"""The dbt CLI task (io.kestra.plugin.dbt.cli.DbtCLI) as its plugin runs it: beforeCommands and
commands under /bin/sh in the task runner's container (docs/kestra.md §1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowlint.cli import main

DBT = """\
id: dbt_build
namespace: company.analytics
tasks:
  - id: dbt
    type: io.kestra.plugin.dbt.cli.DbtCLI
{extra}    beforeCommands:
{before}    commands:
      - dbt deps
      - dbt build
"""


def check(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
          *options: str) -> tuple[int, str]:
    flow = tmp_path / "dbt.yaml"
    flow.write_text(text)
    code = main(["check", "--no-cache", *options, str(flow)])
    captured = capsys.readouterr()   # with --diff the report is on stderr
    return code, captured.out + captured.err


def test_fusion_engine_image_is_not_guessed(tmp_path, capsys) -> None:
    """`engine: FUSION` is documented to fall back to dbt-fusion while the code defaults to
    the Core image: an image built FROM either could change the engine, so none is built."""
    text = DBT.format(extra="    engine: FUSION\n", before="      - pip install dbt-duckdb\n")
    code, out = check(tmp_path, capsys, text, "--diff", "--unsafe-fixes", "--strategy",
                      "custom-image", "--image", "reg/{flow}:1")
    assert code == 1 and "no fix (custom-image): the image 'dbt' runs in cannot be told" in out
    core = DBT.format(extra="", before="      - pip install dbt-duckdb\n")
    code, out = check(tmp_path, capsys, core, "--diff", "--unsafe-fixes", "--strategy",
                      "custom-image", "--image", "reg/{flow}:1")
    assert '"from": "ghcr.io/kestra-io/dbt"' in out


def test_a_venv_fix_keeps_dbt_commands_written_dbt(tmp_path, capsys) -> None:
    """A cached venv does not run once restored, called by path or not; and DbtCLI adds
    --project-dir and --log-format only to commands written `dbt ...`: no ./venv/bin/dbt."""
    text = """\
id: dbt_venv
namespace: company.analytics
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    cache:
      patterns:
        - venv/**
      ttl: PT24H
    tasks:
      - id: dbt
        type: io.kestra.plugin.dbt.cli.DbtCLI
        projectDir: dbt
        beforeCommands:
          - python -m venv venv
          - source venv/bin/activate
          - pip install dbt-duckdb
        commands:
          - dbt build
"""
    code, out = check(tmp_path, capsys, text, "--diff", "--unsafe-fixes", "--select", "FL006")
    assert code == 1 and "./venv/bin/dbt" not in out
    assert "no fix (venv-activation): the venv of 'dbt' is restored from a cache that keeps no " \
           "file modes" in out


def test_the_cached_install_keeps_pip3(tmp_path, capsys) -> None:
    """A worker may have pip3 and no pip: the cached install calls the pip the task called."""
    text = DBT.format(extra="", before="      - pip3 install dbt-duckdb\n")
    code, out = check(tmp_path, capsys, text, "--diff", "--unsafe-fixes", "--strategy",
                      "working-dir-cache")
    assert code == 1 and 'pip3 install --target=deps "$@"' in out
    assert "chmod u+x deps/bin/*" in out   # dbt runs from deps/bin, restored without modes


def test_a_program_of_a_package_flowlint_does_not_know_stays_on_path(tmp_path, capsys) -> None:
    """`edr` comes from elementary-data, whose programs flowlint does not know: deps/bin goes
    on PATH anyway (and is made executable again after a restore)."""
    text = DBT.format(extra="", before="      - pip install elementary-data==0.15.1\n"
                      ).replace("      - dbt build\n", "      - dbt build\n      - edr report\n")
    code, out = check(tmp_path, capsys, text, "--diff", "--unsafe-fixes", "--strategy",
                      "working-dir-cache")
    assert code == 1 and 'export PATH="$PWD/deps/bin:$PATH" && set -- elementary-data' in out
    known = DBT.format(extra="", before="      - pip install sqlfluff\n").replace(
        "      - dbt deps\n      - dbt build\n", "      - echo done\n")
    code, out = check(tmp_path, capsys, known, "--diff", "--unsafe-fixes", "--strategy",
                      "working-dir-cache")
    assert code == 1 and "export PATH" not in out   # nothing of sqlfluff's is run
