"""Hostile input (issue 13, items 5, 6 and 11): sizes refused before reading, scripts too long to
analyse named with --verbose, and positions that follow YAML's own line breaks."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from flowlint.cli import main

FLOW_LINES = ["id: x", "namespace: company.team", "tasks:", "  - id: t",
              "    type: io.kestra.plugin.scripts.python.Script",
              "    beforeCommands:", "      - pip install pandas", "    script: print(1)"]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["check", "--no-cache", "--format", "concise", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_positions_follow_every_yaml_line_break(tmp_path, capsys, newline) -> None:
    path = tmp_path / "flow.yaml"
    path.write_bytes(newline.join(FLOW_LINES).encode() + newline.encode())
    code, out, _ = run([str(path)], capsys)
    assert code == 1
    assert out.startswith(f"{path}:7:9: FL001 pip install in beforeCommands of 't'")


def test_a_file_of_lone_cr_line_ends_is_checked_but_not_rewritten(tmp_path, capsys) -> None:
    path = tmp_path / "flow.yaml"
    data = "\r".join(FLOW_LINES).encode() + b"\r"
    path.write_bytes(data)
    code, _, _ = run(["--fix", "--unsafe-fixes", str(path)], capsys)
    assert code == 1
    assert path.read_bytes() == data   # mixed line ends would be worse than the finding


def test_a_form_feed_gives_a_one_line_finding(tmp_path, capsys) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text("id: x\nnamespace: y\n# a \x0c comment\ntasks: []\n")
    code, out, _ = run([str(path)], capsys)
    assert code == 1
    (line,) = out.splitlines()
    assert line == (f"{path}:3:5: FL000 invalid YAML: the character '\\x0c' (U+000C) is not "
                    "allowed in YAML")


def test_a_sparse_huge_file_is_refused_from_its_size(tmp_path, capsys) -> None:
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as handle:
        handle.truncate(1 << 30)   # 1 GiB that takes no disk: reading it would take 1 GB
    code, out, err = run([str(path)], capsys)
    assert (code, out) == (2, "")
    assert "file is 1,073,741,824 bytes, over the limit of 5,242,880 (--max-file-size)" in err


def test_standard_input_is_read_up_to_the_limit_only(capsys, monkeypatch) -> None:
    class Endless(io.RawIOBase):
        served = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            buffer[:] = b"#" * len(buffer)
            Endless.served += len(buffer)
            return len(buffer)

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(Endless())))
    code, _, err = run(["--max-file-size", "1000", "-"], capsys)
    assert code == 2 and "over the limit of 1,000" in err
    assert Endless.served < 1_000_000


def test_a_script_too_long_to_analyse_is_named_with_verbose(tmp_path: Path, capsys) -> None:
    body = "".join(f"      x_{index} = {index}\n" for index in range(9000))
    path = tmp_path / "long.yaml"
    path.write_text("id: x\nnamespace: y\ntasks:\n  - id: big\n"
                    "    type: io.kestra.plugin.scripts.python.Script\n"
                    f"    script: |\n{body}")
    code, _, err = run(["-v", str(path)], capsys)
    assert code == 0
    assert ("FL003 did not check the Python script of 'big': 123,780 characters, over the "
            "limit of 100,000 that flowlint analyses") in err
    code, _, err = run([str(path)], capsys)
    assert "did not check" not in err
