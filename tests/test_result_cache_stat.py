"""The stat index of the result cache: an unchanged file is answered from one stat (a clean one
without reading it), a touched file from the hash of its bytes, and a file rewritten with the
same size within the same timestamp tick is never answered with the old result."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from helpers import BAD_FLOW, GOOD_FLOW
from hypothesis import given, settings
from hypothesis import strategies as st

from flowlint.catalogue import load_catalogue
from flowlint.cli import main
from flowlint.lint import check_bytes
from flowlint.report.rows import reported
from flowlint.run import result_cache
from flowlint.run.result_cache import INDEX, JOURNAL_PREFIX, ResultCache, _load_index
from flowlint.settings import CommandLine, ConfigResolver, SettingsResolver

FLOW = os.path.join("flows", "flow.yaml")
# The same size as BAD_FLOW, without its finding: a rewrite that keeps the size.
GOOD_SAME_SIZE = GOOD_FLOW + "#" * (len(BAD_FLOW) - len(GOOD_FLOW) - 1) + "\n"
ROOT = ".flowlint_cache"


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    assert len(GOOD_SAME_SIZE) == len(BAD_FLOW)
    (tmp_path / "flows").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def settings_for(path: str):  # noqa: ANN201
    return SettingsResolver(load_catalogue(), ConfigResolver(), CommandLine()).for_path(path)


def write(path: str, text: str, age_s: float = 0.0) -> None:
    Path(path).write_text(text)
    if age_s:
        when = time.time_ns() - int(age_s * 1e9)
        os.utime(path, ns=(when, when))


def check_and_store(path: str) -> None:
    """What a cold run does for one file: check its bytes, store the result."""
    settings = settings_for(path)
    data = Path(path).read_bytes()
    ResultCache(ROOT).put(path, data, settings, check_bytes(data, path, settings))


def lookup(path: str):  # noqa: ANN201
    """What the next run does first: one cache for the run, one lookup per file."""
    return ResultCache(ROOT).lookup(path, settings_for(path))


def fake_coarse_timestamps(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    """A filesystem whose timestamp tick hides a rewrite: the file keeps the stat (size,
    mtime, ctime, inode) it has now, whatever is written to it next."""
    frozen = os.stat(path)
    real_stat, real_fstat = os.stat, os.fstat

    def same(info: os.stat_result) -> os.stat_result:
        if (info.st_dev, info.st_ino) != (frozen.st_dev, frozen.st_ino):
            return info
        fields = list(info)
        fields[6] = frozen.st_size
        times = (frozen.st_atime_ns, frozen.st_mtime_ns, frozen.st_ctime_ns)
        # stat_result: 10 visible fields, then float and integer nanosecond times.
        return os.stat_result(tuple(fields[:10]),
                              {"st_atime": times[0] / 1e9, "st_mtime": times[1] / 1e9,
                               "st_ctime": times[2] / 1e9, "st_atime_ns": times[0],
                               "st_mtime_ns": times[1], "st_ctime_ns": times[2]})

    monkeypatch.setattr(result_cache, "_stat", lambda name: same(real_stat(name)))
    monkeypatch.setattr(result_cache, "_fstat", lambda descriptor: same(real_fstat(descriptor)))


def test_an_unchanged_clean_file_is_answered_without_reading_it(project, monkeypatch) -> None:
    write(FLOW, GOOD_FLOW, age_s=10)
    check_and_store(FLOW)

    def no_reading(*args: object) -> None:
        raise AssertionError("the file was read")

    monkeypatch.setattr(result_cache, "_observe", no_reading)
    result = lookup(FLOW)
    assert result is not None and result.findings == [] and result.source is None
    assert (result.flows, result.error) == (1, None)


def test_an_unchanged_file_with_findings_comes_back_whole(project) -> None:
    write(FLOW, BAD_FLOW, age_s=10)
    check_and_store(FLOW)
    result = lookup(FLOW)
    assert result is not None and [finding.rule for finding in result.findings] == ["FL001"]
    assert result.source is not None and result.source.text == BAD_FLOW


def test_findings_for_a_report_without_fixes_come_from_the_index_alone(project, monkeypatch
                                                                       ) -> None:
    """A concise or full report of an unchanged file reads neither the file nor its entry,
    and shows exactly what a check of the file shows."""
    write(FLOW, BAD_FLOW + "  # 'ünïcode' after the finding\n", age_s=10)
    check_and_store(FLOW)
    settings = settings_for(FLOW)
    checked = check_bytes(Path(FLOW).read_bytes(), FLOW, settings)
    expected = reported([checked], load_catalogue())

    def no_reading(*args: object) -> None:
        raise AssertionError("the file was read")

    def index_only(path: str) -> bytes | None:
        name = os.path.basename(path)
        assert name == INDEX or name.startswith(JOURNAL_PREFIX), f"{path} was read"
        return read_entry(path)

    read_entry = result_cache._read_entry
    monkeypatch.setattr(result_cache, "_observe", no_reading)
    monkeypatch.setattr(result_cache, "_read_entry", index_only)
    result = ResultCache(ROOT, with_fixes=False).lookup(FLOW, settings)
    assert result is not None and not hasattr(result.source, "text")
    rows = reported([result], load_catalogue())
    assert [row._replace(finding=None, fix_edits=(), edits_in=None) for row in rows] == \
        [row._replace(finding=None, fix_edits=(), edits_in=None) for row in expected]
    assert [(row.finding.rule, row.finding.span, row.finding.message, row.finding.help,
             row.finding.task_id, row.finding.yaml_path, row.finding.fix_outcome)
            for row in rows] == \
        [(row.finding.rule, row.finding.span, row.finding.message, row.finding.help,
          row.finding.task_id, row.finding.yaml_path, row.finding.fix_outcome)
         for row in expected]
    assert result.findings[0].fix is None   # not recorded: this report shows no edits


def _forged_rows(row: list, size: int) -> list[tuple[str, list]]:
    """Rows of the index that must be a miss: each field of a real row made wrong (`size`:
    the file's, which no position can pass)."""
    def changed(index: int, value: object) -> list:
        return [*row[:index], value, *row[index + 1:]]

    return [("not a list", "x"), ("short", row[:12]), ("long", [*row, None]),
            ("rule not a code", changed(0, "X1")), ("rule as a number", changed(0, 1)),
            ("negative offset", changed(1, -1)), ("end before start", changed(2, row[1] - 1)),
            ("offset as a bool", changed(1, True)), ("line 0", changed(3, 0)),
            ("huge column", changed(4, 2 ** 40)), ("end line before line", changed(5, 0)),
            ("end past the file", changed(2, size + 1)),
            ("column past the file", changed(6, size + 2)),
            ("line past the file", changed(5, size + 2)),
            ("quoted line a text", changed(7, "x")), ("no such line", changed(7, 1)),
            ("line index negative", changed(7, -1)), ("message null", changed(8, None)),
            ("help a list", changed(9, [])), ("task id a number", changed(10, 3)),
            ("outcome short", changed(12, ["s", "t", True])),
            ("outcome wrong types", changed(12, ["s", "t", "yes", True, ""])),
            ("outcome a dict", changed(12, {"strategy": "s"}))]


def test_a_forged_row_in_the_index_is_a_miss(project) -> None:
    write(FLOW, BAD_FLOW, age_s=10)
    check_and_store(FLOW)
    settings = settings_for(FLOW)
    assert ResultCache(ROOT, with_fixes=False).lookup(FLOW, settings) is not None
    stored = json.loads((project / ROOT / INDEX).read_bytes())
    record = stored["files"][os.path.abspath(FLOW)]
    lines, rows = record[5]
    row = rows[0]
    size = os.path.getsize(FLOW)

    def lookup_with(recorded: object, counts: object = None) -> object:
        forged = [*record[:4], record[4] if counts is None else counts, recorded]
        (project / ROOT / INDEX).write_text(json.dumps(
            {"key": stored["key"], "files": {os.path.abspath(FLOW): forged}}))
        return ResultCache(ROOT, with_fixes=False).lookup(FLOW, settings)

    # The control: a well-formed forgery is believed (the cache is not a trust boundary),
    # a caret to the end of the file included.
    believed = lookup_with([lines, [[*row[:6], size + 1, *row[7:8], "forged", *row[9:]]]])
    assert believed is not None and believed.findings[0].message == "forged"
    for name, forged in _forged_rows(row, size):
        assert lookup_with([lines, [forged]]) is None, name
    assert lookup_with([lines, []]) is None, "findings recorded as an empty list"
    assert lookup_with([lines, [row]], [1, 0, 0, "an error"]) is None, "an error with findings"
    for name, recorded in (("no lines", [[], [row]]), ("a line not a text", [[1], [row]]),
                           ("a line longer than the file", [["x" * (size + 1)], [row]]),
                           ("rows alone", [row]), ("three parts", [lines, [row], []]),
                           ("more rows than bytes", [lines, [row] * (size + 1)]),
                           ("more lines than rows", [[*lines, "x"], [row]])):
        assert lookup_with(recorded) is None, name


def test_a_line_with_many_findings_is_recorded_once(project) -> None:
    """A one-line flow with a finding per task: the index holds its line once, so it grows
    with the file, not with the square of it."""
    tasks = ", ".join(f"{{id: t{index}, type: io.kestra.plugin.scripts.python.Script, "
                      f"beforeCommands: [pip install pandas], script: 'import pandas'}}"
                      for index in range(200))
    write(FLOW, f"{{id: one, namespace: n, tasks: [{tasks}]}}\n", age_s=10)
    check_and_store(FLOW)
    size = os.path.getsize(FLOW)
    result = ResultCache(ROOT, with_fixes=False).lookup(FLOW, settings_for(FLOW))
    assert result is not None and len(result.findings) >= 200
    assert (project / ROOT / INDEX).stat().st_size < 3 * size + 200 * 1000


def test_a_same_size_rewrite_in_the_same_tick_is_never_stale(project, monkeypatch) -> None:
    # Checked right after it was written: the record is "racy" (the file's mtime is too close
    # to the moment its stat was taken for a later write to be sure to change it).
    write(FLOW, GOOD_SAME_SIZE)
    check_and_store(FLOW)
    fake_coarse_timestamps(monkeypatch, FLOW)
    before = result_cache._stat(FLOW)
    Path(FLOW).write_text(BAD_FLOW)   # same size, and the faked stat does not move
    assert result_cache._stat(FLOW) == before
    assert lookup(FLOW) is None   # the bytes were hashed: a miss, never the old clean result
    assert main(["check", "--format", "concise", "-j", "1", "flows"]) == 1


def test_findings_recorded_in_the_index_are_never_stale_either(project, monkeypatch) -> None:
    """The rewrite the other way: recorded findings, then a same-size clean text within the
    same tick, asked for by a report that answers from the index's rows."""
    write(FLOW, BAD_FLOW)
    check_and_store(FLOW)
    fake_coarse_timestamps(monkeypatch, FLOW)
    Path(FLOW).write_text(GOOD_SAME_SIZE)
    assert ResultCache(ROOT, with_fixes=False).lookup(FLOW, settings_for(FLOW)) is None
    assert main(["check", "--format", "concise", "-j", "1", "flows"]) == 0


def test_control_an_old_record_with_an_identical_stat_is_trusted(project, monkeypatch) -> None:
    """What the racy rule protects against: once a record is old enough, the stat alone
    decides (as in git), so the faked filesystem really hides the rewrite from the stat."""
    write(FLOW, GOOD_SAME_SIZE, age_s=10)
    check_and_store(FLOW)
    fake_coarse_timestamps(monkeypatch, FLOW)
    Path(FLOW).write_text(BAD_FLOW)
    result = lookup(FLOW)
    assert result is not None and result.findings == []   # stale, as the stat promised


def test_a_touched_file_is_hashed_and_its_record_renewed(project, monkeypatch) -> None:
    write(FLOW, GOOD_FLOW, age_s=20)
    check_and_store(FLOW)
    write(FLOW, GOOD_FLOW, age_s=10)   # same bytes, new mtime and ctime (a fresh clone)
    result = lookup(FLOW)
    assert result is not None and result.findings == []
    renewed = _load_index(ROOT)[os.path.abspath(FLOW)]
    info = os.stat(FLOW)
    assert renewed[1] == f"{info.st_dev}:{info.st_ino}:{info.st_size}:{info.st_mtime_ns}:" \
                         f"{info.st_ctime_ns}" and renewed[2] is True

    def no_reading(*args: object) -> None:
        raise AssertionError("the file was read")

    monkeypatch.setattr(result_cache, "_observe", no_reading)
    assert lookup(FLOW) is not None   # now from the stat alone


def test_changed_bytes_or_settings_are_a_miss(project) -> None:
    write(FLOW, GOOD_FLOW, age_s=10)
    check_and_store(FLOW)
    write(FLOW, BAD_FLOW, age_s=5)
    assert lookup(FLOW) is None
    write(FLOW, GOOD_FLOW, age_s=10)
    check_and_store(FLOW)
    other = settings_for(FLOW)
    other = type(other)(frozenset({"FL001"}), other.target_version, other.parameters,
                        other.max_bytes, other.fix, other.use_suppressions)
    assert ResultCache(ROOT).lookup(FLOW, other) is None


@pytest.mark.parametrize("index", [
    b"\x80garbage", b"[]", b'{"key": "other", "files": {}}',
    b'{"key": null, "files": {"flows/flow.yaml": [1, 2, 3]}}',
])
def test_a_broken_or_foreign_index_is_ignored(project, index) -> None:
    write(FLOW, GOOD_FLOW, age_s=10)
    check_and_store(FLOW)
    assert lookup(FLOW) is not None   # merges the journal into index.json
    stored = json.loads((project / ROOT / INDEX).read_bytes())
    (project / ROOT / INDEX).write_bytes(index)
    assert lookup(FLOW) is None
    record = stored["files"][os.path.abspath(FLOW)]   # keyed by absolute path
    (project / ROOT / INDEX).write_text(json.dumps({"key": stored["key"],
                                                    "files": {os.path.abspath(FLOW): record}}))
    assert lookup(FLOW) is not None   # the control: the record as it was is believed
    for broken in ([*record[:4], ["1", 0, 0, None], None], record[:5], "x",
                   [*record[:4], [1, 0, 0, 5], None], [*record[:4], [1, 0, 0, None], "rows"],
                   [record[0], record[1], 1, *record[3:]], [record[0], 5, *record[2:]],
                   [*record[:4], [1, 0, 0], None], [*record[:4], [1, -1, 0, None], None],
                   [*record[:4], [True, 0, 0, None], None]):
        (project / ROOT / INDEX).write_text(json.dumps({"key": stored["key"],
                                                        "files": {os.path.abspath(FLOW): broken}}))
        assert lookup(FLOW) is None, broken


def test_journals_are_merged_once_and_removed(project) -> None:
    for index in range(3):
        write(os.path.join("flows", f"f{index}.yaml"), GOOD_FLOW, age_s=10)
    assert main(["check", "--format", "concise", "-j", "1", "flows"]) == 0
    journals = list((project / ROOT).glob("journal-*.jsonl"))
    assert journals
    with open(journals[0], "ab") as handle:
        handle.write(b"not json\n[1, 2]\n")
    index = _load_index(ROOT)
    assert sorted(index) == [os.path.abspath(os.path.join("flows", f"f{n}.yaml"))
                            for n in range(3)]
    assert not [path for path in journals if path.exists() and path.stat().st_size]
    assert main(["check", "--format", "concise", "-j", "1", "flows"]) == 0


_PATH_PARTS = st.sampled_from(["a", "b", ".", "..", "", "x.yml", "c d", "é", "-"])
_SEPARATORS = st.sampled_from(["/", "//", ""])


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.tuples(_PATH_PARTS, _SEPARATORS), min_size=1, max_size=6),
       st.booleans())
def test_the_index_key_of_a_path_is_its_normalised_absolute_path(parts, absolute) -> None:
    """Each folder is normalised once a run: the key must still be exactly normpath's."""
    path = ("/" if absolute else "") + "".join(part + separator for part, separator in parts)
    cache = ResultCache("unused")
    expected = os.path.normpath(path if os.path.isabs(path) else cache._cwd_prefix + path)
    assert cache._absolute(path) == expected
    assert cache._absolute(path) == expected   # from the folder's memo
