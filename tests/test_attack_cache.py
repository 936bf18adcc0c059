"""Attacks on the result cache: a planted pickle never runs, a forged or broken entry is a miss
(the real findings come out), and odd files at an entry's path neither hang nor crash."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import BAD_FLOW, GOOD_FLOW

from flowlint import __version__
from flowlint.catalogue import load_catalogue
from flowlint.cli import main
from flowlint.settings import CommandLine, ConfigResolver, SettingsResolver

BAD = os.path.join("flows", "bad.yaml")
GOOD = os.path.join("flows", "good.yaml")
OTHER = os.path.join("flows", "other.yaml")
OTHER_FLOW = BAD_FLOW.replace("id: etl", "id: other").replace("pandas requests", "numpy")
CLEAN_RESULT = {"flows": 1, "other_documents": 0, "suppressed": 0, "error": None, "fixes": [],
                "findings": []}
FORGED_FINDING = {"rule": "FL004", "start": 0, "end": 2, "message": "forged", "help": None,
                  "task_id": None, "yaml_path": None, "fix": None, "fix_outcome": None}
DROP = object()   # a key left out of a forged record


class Payload:
    """Unpickling it writes `marker`: what a crafted pickle in a pull request would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return exec, (f"open({str(self.marker)!r}, 'w').write('ran')",)


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "flows").mkdir()
    (tmp_path / BAD).write_text(BAD_FLOW)
    (tmp_path / GOOD).write_text(GOOD_FLOW)
    (tmp_path / OTHER).write_text(OTHER_FLOW)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """A run whose cached results come from the entries: the stat index, which answers a
    concise report first (its own attacks are in test_result_cache_stat.py), is removed."""
    forget_stat_index(Path.cwd())
    code = main(["check", "--format", "concise", "-j", "1", "flows"])
    return code, capsys.readouterr().out


def forget_stat_index(project: Path) -> None:
    for path in (project / ".flowlint_cache").glob("*.json*"):
        if path.name == "index.json" or path.name.startswith("journal-"):
            path.unlink()


def check_in_subprocess(project: Path) -> tuple[int, str]:
    """For cases that would hang the test run itself if the cache blocked."""
    forget_stat_index(project)
    command = [sys.executable, "-m", "flowlint", "check", "--format", "concise", "-j", "1",
               "flows"]
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=60,
                          env=os.environ.copy())
    return done.returncode, done.stdout


def entries(project: Path) -> dict[str, Path]:
    """The JSON entry of each checked file, by the path its inputs name."""
    return {json.loads(entry.read_bytes())["inputs"]["path"]: entry
            for entry in (project / ".flowlint_cache").glob("*/*.json")}


def warm(project: Path, capsys: pytest.CaptureFixture[str]) -> tuple[tuple[int, str], Path]:
    """The report of a cold run (the real findings) and the entry of the flagged file."""
    expected = check(capsys)
    assert expected[0] == 1 and "bad.yaml" in expected[1] and "other.yaml" in expected[1]
    return expected, entries(project)[BAD]


def load(entry: Path) -> dict:
    return json.loads(entry.read_bytes())


def write(entry: Path, record: object) -> None:
    entry.write_text(json.dumps(record))


# (a) pickles


def old_pickle_entry(path: str, data: bytes) -> Path:
    """Where the pickle cache kept this file's result: name derivation is public."""
    from flowlint.catalogue import catalogue_digest
    from flowlint.run.result_cache import _code_digest

    settings = SettingsResolver(load_catalogue(), ConfigResolver(), CommandLine()).for_path(path)
    digest = hashlib.sha256()
    for part in (__version__, _code_digest(), catalogue_digest(), settings.cache_key, path):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    digest.update(data)
    name = digest.hexdigest()
    return Path(".flowlint_cache", name[:2], f"{name}.pickle")


@pytest.mark.parametrize("where", ["old-pickle-name", "json-name"])
def test_a_planted_pickle_is_never_run(project, capsys, tmp_path_factory, where) -> None:
    marker = tmp_path_factory.mktemp("attack") / "ran"
    payload = pickle.dumps(Payload(marker))
    pickle.loads(payload)   # the payload works: unpickling it runs code
    assert marker.exists()
    marker.unlink()
    expected, _ = warm(project, capsys)
    for path, entry in entries(project).items():
        if where == "old-pickle-name":
            planted = project / old_pickle_entry(path, (project / path).read_bytes())
            planted.parent.mkdir(exist_ok=True)
            planted.write_bytes(payload)
            entry.unlink()
        else:
            entry.write_bytes(payload)
    assert check(capsys) == expected
    assert not marker.exists()


# (b) forged and broken entries


def test_control_a_forgery_with_the_right_inputs_is_believed(project, capsys) -> None:
    """The documented limit (the cache is not a trust boundary), and the proof that the
    forgeries below are read: these entries are the ones flowlint consults."""
    _, entry = warm(project, capsys)
    write(entry, {"inputs": load(entry)["inputs"], "result": CLEAN_RESULT})
    code, out = check(capsys)
    assert code == 1 and "bad.yaml" not in out and "other.yaml" in out
    write(entry, {"inputs": load(entry)["inputs"],
                  "result": {**CLEAN_RESULT, "findings": [FORGED_FINDING]}})
    assert "bad.yaml:1:1: FL004 forged" in check(capsys)[1]


def _with_inputs(**changes: str) -> Callable[[dict, Path], object]:
    def forge(record: dict, project: Path) -> object:
        return {"inputs": {**record["inputs"], **changes}, "result": CLEAN_RESULT}
    return forge


def _copied_from(path: str) -> Callable[[dict, Path], object]:
    return lambda record, project: load(entries(project)[path])


def _clean_result(**changes: object) -> Callable[[dict, Path], object]:
    def forge(record: dict, project: Path) -> object:
        result = {key: value for key, value in {**CLEAN_RESULT, **changes}.items()
                  if value is not DROP}
        return {"inputs": record["inputs"], "result": result}
    return forge


def _forged_finding(fixes: list | None = None, error: str | None = None, **changes: object
                    ) -> Callable[[dict, Path], object]:
    def forge(record: dict, project: Path) -> object:
        finding = {key: value for key, value in {**FORGED_FINDING, **changes}.items()
                   if value is not DROP}
        return {"inputs": record["inputs"], "result": {**CLEAN_RESULT, "error": error,
                                                       "fixes": fixes or [],
                                                       "findings": [finding]}}
    return forge


TEXT_LENGTH = len(BAD_FLOW)
FIX = {"title": "t", "safe": True, "strategy": "s", "scope": ["transform"],
       "edits": [{"start": 0, "end": 2, "text": "x"}]}
FORGERIES = {
    # bound to other inputs
    "copied from a clean file": _copied_from(GOOD),
    "copied from another flagged file": _copied_from(OTHER),
    "other content hash": _with_inputs(sha256=hashlib.sha256(b"other").hexdigest()),
    "other version": _with_inputs(flowlint="0.0.0"),
    "other code": _with_inputs(code="0" * 64),
    "other catalogue": _with_inputs(catalogue="0" * 64),
    "other settings": _with_inputs(settings="0" * 64),
    "other path": _with_inputs(path=GOOD),
    "inputs missing": lambda record, project: {"result": CLEAN_RESULT},
    "inputs with one more key": _with_inputs(extra="x"),
    "one more top-level key": lambda record, project: {**record, "result": CLEAN_RESULT,
                                                        "extra": 1},
    "top level a list": lambda record, project: [record["inputs"], CLEAN_RESULT],
    # wrong types in the result
    "flows a string": _clean_result(flows="1"),
    "flows a bool": _clean_result(flows=True),
    "flows a float": _clean_result(flows=1.0),
    "flows negative": _clean_result(flows=-1),
    "flows huge": _clean_result(flows=10**30),
    "suppressed missing": _clean_result(suppressed=DROP),
    "one more result key": _clean_result(extra={}),
    "error a number": _clean_result(error=5),
    "findings an object": _clean_result(findings={}),
    "findings null": _clean_result(findings=None),
    "fixes without findings": _clean_result(fixes=[FIX]),
    "result a list": lambda record, project: {"inputs": record["inputs"], "result": []},
    # a forged finding that breaks the schema
    "rule too short": _forged_finding(rule="FL04"),
    "rule too long": _forged_finding(rule="FL0040"),
    "rule lowercase": _forged_finding(rule="fl004"),
    "rule with a non-ASCII digit": _forged_finding(rule="FL00\u0664"),
    "rule a number": _forged_finding(rule=4),
    "start negative": _forged_finding(start=-1),
    "start a bool": _forged_finding(start=False),
    "start a float": _forged_finding(start=0.0),
    "start a string": _forged_finding(start="0"),
    "start after end": _forged_finding(start=2, end=1),
    "end past the text": _forged_finding(end=TEXT_LENGTH + 1),
    "end huge": _forged_finding(end=10**100),
    "message null": _forged_finding(message=None),
    "help a number": _forged_finding(help=1),
    "task id a number": _forged_finding(task_id=5),
    "yaml path a list": _forged_finding(yaml_path=[]),
    "finding with extra data": _forged_finding(extra={"module": "x"}),
    "finding without message": _forged_finding(message=DROP),
    "fix index without fixes": _forged_finding(fix=0),
    "fix index a bool": _forged_finding(fixes=[FIX], fix=False),
    "fix index negative": _forged_finding(fixes=[FIX], fix=-1),
    "fix edit past the text": _forged_finding(
        fixes=[{**FIX, "edits": [{"start": 0, "end": TEXT_LENGTH + 1, "text": "x"}]}], fix=0),
    "fix edit backwards": _forged_finding(
        fixes=[{**FIX, "edits": [{"start": 2, "end": 1, "text": "x"}]}], fix=0),
    "fix scope not text": _forged_finding(fixes=[{**FIX, "scope": [1]}], fix=0),
    "fix safe a string": _forged_finding(fixes=[{**FIX, "safe": "yes"}], fix=0),
    "fix outcome empty": _forged_finding(fix_outcome={}),
    "fix outcome safe a number": _forged_finding(fix_outcome={
        "strategy": "s", "title": "t", "safe": 1, "applicable": True, "reason": ""}),
    "an error with findings": _forged_finding(error="forged"),
}


@pytest.mark.parametrize("name", list(FORGERIES))
def test_a_forged_entry_is_a_miss(project, capsys, name) -> None:
    expected, entry = warm(project, capsys)
    write(entry, FORGERIES[name](load(entry), project))
    assert check(capsys) == expected


def _raw_clean(record: dict, result: str) -> str:
    return '{"inputs": %s, "result": %s}' % (json.dumps(record["inputs"]), result)


RAW_FORGERIES: dict[str, Callable[[dict, bytes], bytes]] = {
    "empty": lambda record, raw: b"",
    "truncated": lambda record, raw: raw[:-5],
    "not UTF-8": lambda record, raw: b"\xff\xfe\x00garbage",
    "null": lambda record, raw: b"null",
    "a number with 5000 digits": lambda record, raw: _raw_clean(
        record, json.dumps(CLEAN_RESULT).replace('"flows": 1', '"flows": 1' + "0" * 5000)
    ).encode(),
    "a number past float range": lambda record, raw: _raw_clean(
        record, json.dumps(CLEAN_RESULT).replace('"flows": 1', '"flows": 1e400')).encode(),
    "NaN": lambda record, raw: _raw_clean(
        record, json.dumps(CLEAN_RESULT).replace('"flows": 1', '"flows": NaN')).encode(),
    "deep nesting": lambda record, raw: _raw_clean(record, "[" * 200_000 + "]" * 200_000
                                                   ).encode(),
    "deep nesting, unclosed": lambda record, raw: b"{" + b'"a":{' * 200_000,
}


@pytest.mark.parametrize("name", list(RAW_FORGERIES))
def test_a_malformed_entry_is_a_miss(project, capsys, name) -> None:
    expected, entry = warm(project, capsys)
    entry.write_bytes(RAW_FORGERIES[name](load(entry), entry.read_bytes()))
    assert check(capsys) == expected
    assert json.loads(entry.read_bytes())["inputs"]["path"] == BAD   # rewritten


# (c) what is at an entry's path, or the cache folder itself


def test_a_symlinked_entry_is_not_followed(project, capsys, tmp_path_factory) -> None:
    expected, entry = warm(project, capsys)
    target = tmp_path_factory.mktemp("elsewhere") / "clean.json"
    write(target, {"inputs": load(entry)["inputs"], "result": CLEAN_RESULT})
    before = target.read_bytes()
    entry.unlink()
    entry.symlink_to(target)
    assert check(capsys) == expected
    # The link was replaced by the rewritten entry, not written through.
    assert not entry.is_symlink() and target.read_bytes() == before


def test_a_folder_at_an_entry_path_is_a_miss(project, capsys) -> None:
    expected, entry = warm(project, capsys)
    entry.unlink()
    entry.mkdir()
    (entry / "x").write_text("{}")
    assert check(capsys) == expected
    assert check(capsys) == expected
    assert not list((project / ".flowlint_cache").glob("*/*.tmp"))   # no write left behind


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.parametrize("link", [False, True], ids=["fifo", "symlink-to-fifo"])
def test_a_named_pipe_at_an_entry_path_does_not_block(project, capsys, tmp_path_factory,
                                                      link) -> None:
    expected, entry = warm(project, capsys)
    entry.unlink()
    if link:
        fifo = tmp_path_factory.mktemp("pipes") / "entry"
        os.mkfifo(fifo)
        entry.symlink_to(fifo)
    else:
        os.mkfifo(entry)
    assert check_in_subprocess(project) == expected
    assert check_in_subprocess(project) == expected


def test_a_symlinked_cache_folder_is_not_used(project, capsys, tmp_path_factory) -> None:
    expected, entry = warm(project, capsys)
    write(entry, {"inputs": load(entry)["inputs"], "result": CLEAN_RESULT})
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "cache"
    (project / ".flowlint_cache").rename(elsewhere)
    (project / ".flowlint_cache").symlink_to(elsewhere, target_is_directory=True)
    assert check(capsys) == expected
    assert main(["clean"]) == 0
    assert not (project / ".flowlint_cache").exists() and (elsewhere / ".gitignore").exists()


def test_a_cache_folder_without_its_marker_is_not_used(project, capsys) -> None:
    """As a cache committed to the repository arrives: its `*` .gitignore ignores itself."""
    expected, entry = warm(project, capsys)
    write(entry, {"inputs": load(entry)["inputs"], "result": CLEAN_RESULT})
    (project / ".flowlint_cache" / ".gitignore").unlink()
    assert check(capsys) == expected
    assert check(capsys) == expected   # and not made trusted by the run


def _flowlint(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flowlint", "check", "-j", "1", *args,
                           "flows"], cwd=project, capture_output=True, text=True, timeout=120,
                          env=os.environ.copy())


def _cut_last_bytes(paths: list[Path]) -> None:
    assert paths
    for path in paths:
        path.write_bytes(path.read_bytes()[:-2])


@pytest.mark.parametrize(("what", "output_format", "runs"), [
    ("index", "concise", 2),       # the second run merges the journal into index.json
    ("journal", "concise", 1),
    ("entries", "json", 2),
])
def test_a_cut_cache_file_is_a_miss_in_a_process_without_the_json_package(
        project, what, output_format, runs) -> None:
    """A warm run does not import the json package (flowlint.json_read reads the cache): a
    broken file deep in a list or an object must still be a miss, not an internal error."""
    expected = _flowlint(project, "--no-cache", "--format", output_format)
    for _ in range(runs):
        _flowlint(project, "--format", output_format)
    cache = project / ".flowlint_cache"
    _cut_last_bytes({"index": [cache / "index.json"],
                     "journal": list(cache.glob("journal-*.jsonl")),
                     "entries": list(cache.glob("*/*.json"))}[what])
    if what == "entries":
        forget_stat_index(project)
    for _ in range(2):   # the broken file is replaced, not a lasting fault
        done = _flowlint(project, "--format", output_format)
        assert "internal error" not in done.stderr and "Traceback" not in done.stderr
        assert (done.returncode, done.stdout) == (expected.returncode, expected.stdout)
