"""A fix moves exactly what its rule reported: rule parameters and suppressions reach it.

Each case failed when the fixes found the installs again by themselves, with the default
parameters (issue: one home per rule).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flowlint.cli import main

NODE_AND_APT = """\
id: web
namespace: company.team
tasks:
  - id: build
    type: io.kestra.plugin.scripts.node.Commands
    containerImage: node:20
    beforeCommands:
      - apt-get update && apt-get install -y curl
      - npm install -g typescript
    commands:
      - tsc --version
"""

PIP_AND_UV = """\
id: etl
namespace: company.team
tasks:
  - id: transform
    type: io.kestra.plugin.scripts.python.Commands
    beforeCommands:
      - pip install pandas
      - uv pip install --system polars
    commands:
      - python main.py
"""


def fixed(tmp_path: Path, flow: str, config: str, args: list[str],
          capsys: pytest.CaptureFixture[str]) -> str:
    (tmp_path / ".flowlint.toml").write_text(config)
    path = tmp_path / "flow.yaml"
    path.write_text(flow)
    main(["check", "--fix", "--unsafe-fixes", *args, str(path)])
    capsys.readouterr()
    return path.read_text()


def test_fl009_fix_cuts_only_the_ecosystems_the_rule_checks(tmp_path, capsys) -> None:
    config = '[rules.FL009]\necosystems = ["system"]\n'
    text = fixed(tmp_path, NODE_AND_APT, config,
                 ["--select", "FL009", "--strategy", "custom-image", "--image", "r/web:1"],
                 capsys)
    assert "apt-get" not in text.split("# flowlint-image")[0]
    assert "npm install -g typescript" in text
    assert "containerImage: r/web:1" in text
    assert '"from": "node:20", "apt-get": ["curl"]}' in text


def test_fl001_fix_moves_only_the_installers_the_rule_checks(tmp_path, capsys) -> None:
    config = '[rules.FL001]\ninstallers = ["pip"]\n'
    text = fixed(tmp_path, PIP_AND_UV, config, ["--select", "FL001"], capsys)
    assert "      - pip install pandas\n" not in text
    assert "dependencies:\n      - pandas\n" in text
    assert "uv pip install --system polars" in text and "polars\n" not in text.split(
        "dependencies:")[1]


def test_a_suppressed_task_is_not_fixed(tmp_path, capsys) -> None:
    flow = PIP_AND_UV + """\
  - id: report  # flowlint: ignore[FL001] the platform team owns this image
    type: io.kestra.plugin.scripts.python.Commands
    beforeCommands:
      - pip install matplotlib
    commands:
      - python report.py
"""
    text = fixed(tmp_path, flow, "", ["--select", "FL001"], capsys)
    assert "      - pip install matplotlib\n" in text
    assert "dependencies:\n      - pandas\n      - polars\n" in text


def test_two_flows_of_one_file_with_the_same_task_id_are_both_fixed(tmp_path, capsys) -> None:
    second = PIP_AND_UV.replace("id: etl", "id: report").replace("pandas", "polars2")
    text = fixed(tmp_path, PIP_AND_UV + "---\n" + second, "", ["--select", "FL001"], capsys)
    first_flow, second_flow = text.split("---\n")
    assert "dependencies:\n      - pandas\n      - polars\n" in first_flow
    assert "dependencies:\n      - polars2\n      - polars\n" in second_flow
