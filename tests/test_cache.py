"""The result cache: hits give the same report, bad entries are rewritten, runs may overlap."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import FIXTURES, PANDAS_FLOW

import flowlint
from flowlint import __version__
from flowlint.cli import main
from flowlint.lint import check_bytes
from flowlint.report import FORMATS
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
    return sorted((project / ".flowlint_cache").glob("*/*.json"))


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
    # The JSON report reads the entries (a concise one is answered by the stat index).
    cold_json = (main(["check", "--format", "json", "--no-cache", "flows"]),
                 capsys.readouterr().out)
    assert (main(["check", "--format", "json", "-j", "1", "flows"]),
            capsys.readouterr().out) == cold_json
    assert report(["-j", "1", "flows"], capsys) == cold
    for entry in entries(project):
        json.loads(entry.read_bytes())   # rewritten: loads again


def test_results_depend_on_every_module_of_flowlint() -> None:
    """An edited checkout keeps its version number: the results of the code before the
    edit must not answer, whichever module was edited (the rules' too)."""
    from flowlint.run.result_cache import _code_files

    package = Path(flowlint.__file__).resolve().parent
    files = {Path(path) for path, _ in _code_files()}
    assert set(package.rglob("*.py")) <= files
    assert {package / "lint.py", package / "rules" / "fl001_pip_install_per_execution.py",
            package / "lang" / "package_metadata.json"} <= files   # data the rules read too
    assert not [path for path in files if "__pycache__" in path.parts]


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
    # The folder is made once, with its marker, and no run took it for a foreign one.
    assert len(entries(project)) == 40 and not list(project.glob(".flowlint_cache.*"))


SUPPRESSED_FLOW = PANDAS_FLOW.replace("  - id: transform\n",
                                      "  - id: transform  # flowlint: ignore[FL001] not yet\n")


@pytest.fixture()
def fixture_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every bad fixture (all rules, fixes and refusals, CRLF), a suppression, an error."""
    (tmp_path / "flows").mkdir()
    for path in sorted(FIXTURES.glob("*/bad-*")):
        if ".fixed." not in path.name and path.suffix in (".yaml", ".yml"):
            shutil.copy(path, tmp_path / "flows" / f"{path.parent.name}-{path.name}")
    (tmp_path / "flows" / "suppressed.yaml").write_text(SUPPRESSED_FLOW)
    (tmp_path / "flows" / "latin1.yaml").write_bytes(b"id: caf\xe9\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("select", [[], ["--select", "ALL"]], ids=["default", "all-rules"])
def test_a_hit_renders_exactly_like_a_miss_in_every_format(fixture_project, capsys,
                                                           monkeypatch, select) -> None:
    def run(output_format: str, *extra: str) -> tuple[int, str, str]:
        code = main(["check", "--format", output_format, "-j", "1", *select, *extra, "flows"])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    misses = {output_format: run(output_format, "--no-cache") for output_format in FORMATS}
    assert "  = fix (" in misses["full"][1] and "  = no fix (" in misses["full"][1]
    assert '"fixes"' in misses["sarif"][1] and "suppressed by" in misses["full"][2]
    assert "more with --unsafe-fixes" in misses["full"][2] and "latin1.yaml: error" in misses["full"][2]
    run("concise")   # fills the cache

    def no_checking(*args: object) -> None:
        raise AssertionError("a cached file was checked again")

    monkeypatch.setattr(pipeline, "check_bytes", no_checking)
    for output_format, miss in misses.items():
        assert run(output_format) == miss, output_format


def test_entries_hold_no_file_text_and_name_their_inputs(project, capsys) -> None:
    (project / "flows" / "clean.yaml").write_text(PANDAS_FLOW.replace("pip install pandas",
                                                                      "python -V"))
    report(["flows"], capsys)
    records = {}
    for entry in entries(project):
        record = json.loads(entry.read_text(encoding="ascii"))
        records[record["inputs"]["path"]] = record
        assert "namespace: company.team" not in entry.read_text()
    flagged = records[os.path.join("flows", "f0.yaml")]
    clean = records[os.path.join("flows", "clean.yaml")]
    data = (project / "flows" / "f0.yaml").read_bytes()
    assert flagged["inputs"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert flagged["inputs"]["flowlint"] == __version__
    assert [finding["rule"] for finding in flagged["result"]["findings"]] == ["FL001"]
    assert clean["result"]["findings"] == [] and clean["result"]["flows"] == 1


def test_a_cache_folder_flowlint_did_not_make_is_neither_read_nor_written(project, capsys,
                                                                           monkeypatch) -> None:
    cold = report(["flows"], capsys)
    (project / ".flowlint_cache" / ".gitignore").unlink()   # as if it came from a commit
    before = {entry: entry.stat().st_mtime_ns for entry in entries(project)}
    checked = []
    monkeypatch.setattr(pipeline, "check_bytes",
                        lambda *args: checked.append(args[1]) or check_bytes(*args))
    assert report(["-j", "1", "flows"], capsys) == cold
    assert len(checked) == 40
    assert {entry: entry.stat().st_mtime_ns for entry in entries(project)} == before
    assert not (project / ".flowlint_cache" / ".gitignore").exists()
    assert main(["clean"]) == 0
    report(["-j", "1", "flows"], capsys)
    assert (project / ".flowlint_cache" / ".gitignore").exists()
    assert len(entries(project)) == 40


def test_the_settings_key_tells_lists_tables_and_values_apart() -> None:
    """The key of cached results: equal for equal settings (a config's list and a default
    tuple of the same values), different whenever a value differs, at any depth."""
    from flowlint.lint import Settings

    def key(value: object) -> str:
        return Settings(frozenset({"FL001"}), parameters={"FL001": {"installers": value}}
                        ).cache_key

    assert key(("pip", "uv")) == key(["pip", "uv"])
    assert key([[]]) == key([()])
    values = [[{}], [["mapping", []]], [[]], [], ["1"], [1], [1.0], [True], [None],
              [{"a": 1}], [{"a": "1"}], [["a", 1]], {"pip"}, ["pip"], "pip", [["pip"]]]
    keys = [key(value) for value in values]
    assert len(set(keys)) == len(keys)
    assert key({"b", "a", "c"}) == key({"c", "a", "b"})
