"""The result cache: hits give the same report, bad entries are rewritten, runs may overlap."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import PANDAS_FLOW

from flowlint.cli import main
from flowlint.run import pipeline


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "flows").mkdir()
    for index in range(40):   # enough files for the parallel path too
        (tmp_path / "flows" / f"f{index}.yaml").write_text(PANDAS_FLOW.replace("etl", f"etl{index}"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def report(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["check", "--format", "concise", *args])
    return code, capsys.readouterr().out


def entries(project: Path) -> list[Path]:
    return sorted((project / ".flowlint_cache").glob("*/*.pickle"))


def test_warm_run_answers_from_the_cache(project, capsys, monkeypatch) -> None:
    cold = report(["flows"], capsys)
    assert cold[0] == 1 and cold[1].count("FL001") == 40
    assert len(entries(project)) == 40

    def no_checking(*args: object) -> None:
        raise AssertionError("a cached file was checked again")

    monkeypatch.setattr(pipeline, "check_bytes", no_checking)
    assert report(["flows"], capsys) == cold
    assert report(["-j", "1", "flows"], capsys) == cold


def test_a_changed_file_or_setting_is_checked_again(project, capsys) -> None:
    report(["flows"], capsys)
    (project / "flows" / "f0.yaml").write_text(PANDAS_FLOW.replace("pip install pandas", "python -V"))
    code, out = report(["flows"], capsys)
    assert out.count("FL001") == 39
    code, out = report(["--ignore", "FL001", "flows"], capsys)
    assert "FL001" not in out


def test_corrupt_entries_are_ignored_and_rewritten(project, capsys) -> None:
    cold = report(["flows"], capsys)
    for entry in entries(project):
        entry.write_bytes(b"\x80\x04garbage")
    assert report(["-j", "1", "flows"], capsys) == cold
    for entry in entries(project):
        with open(entry, "rb") as handle:
            pickle.load(handle)   # rewritten: loads again


def test_no_cache_writes_nothing_and_clean_removes_it(project, capsys) -> None:
    report(["--no-cache", "flows"], capsys)
    assert not (project / ".flowlint_cache").exists()
    report(["flows"], capsys)
    assert (project / ".flowlint_cache" / ".gitignore").read_text().endswith("*\n")
    assert main(["clean"]) == 0
    assert not (project / ".flowlint_cache").exists()


def test_concurrent_runs_are_safe(project) -> None:
    command = [sys.executable, "-m", "flowlint", "check", "--format", "concise", "flows"]
    runs = [subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=os.environ.copy())
            for _ in range(4)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [1, 1, 1, 1]
    assert len({out for out, _ in outputs}) == 1
    assert outputs[0][0].count("FL001") == 40
    assert not list((project / ".flowlint_cache").glob("*/*.tmp"))
