"""Bad input through the command line (DESIGN.md promise 3): a finding or a clear error for
that file, never a traceback, never a stop of the other files; and --fix never damages a
file (promises 1 and 2: atomic writes, mode, symlinks, CRLF and BOM kept)."""

from __future__ import annotations

import codecs
import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from helpers import BAD_FLOW, GOOD_FLOW

import flowlint.run.atomic_write
import flowlint.run.fix_loop
from flowlint.cli import main


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Whatever the CLI leaves in the working folder (a result cache) stays out of the repo.
    monkeypatch.chdir(tmp_path)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err, out + err
    assert "internal error" not in out + err, out + err
    assert code in (0, 1, 2), (code, out, err)
    return code, out, err


def check_with_good_neighbour(tmp_path: Path, name: str, data: bytes,
                              capsys: pytest.CaptureFixture[str],
                              *extra: str) -> tuple[int, str, str]:
    """Check a bad file next to a flagged flow: the flow must still be reported."""
    bad = tmp_path / name
    bad.write_bytes(data)
    other = tmp_path / "other.yaml"
    other.write_text(BAD_FLOW)
    code, out, err = run(["check", "--format", "concise", *extra, str(bad), str(other)], capsys)
    assert f"{other}:7:9: FL001" in out, "the other file was not checked"
    return code, out, err


def findings_of(out: str, path: Path) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(f"{path}:")]


# --- reading and decoding ------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\n", b"# only a comment\n# and another\n",
                                  b"   \n  \n", b"---\n", b"--- # c\n...\n"],
                         ids=["empty", "newline", "comments", "blank", "doc-start", "doc-end"])
def test_empty_and_comment_only_files_are_clean(tmp_path, capsys, data) -> None:
    code, out, err = check_with_good_neighbour(tmp_path, "x.yaml", data, capsys)
    assert code == 1
    assert findings_of(out, tmp_path / "x.yaml") == []
    assert "error" not in err


@pytest.mark.parametrize(("data", "expected"), [
    (b"id: caf\xe9\nnamespace: x\n", "not valid UTF-8: byte 0xe9 at offset 7"),
    ("id: x\nnamespace: y\n".encode("utf-16"), "UTF-16"),
    (codecs.BOM_UTF16_BE + "id: x\n".encode("utf-16-be"), "UTF-16"),
    ("id: x\n".encode("utf-32"), "UTF-32"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(64), "binary"),
], ids=["latin-1", "utf-16-le", "utf-16-be", "utf-32", "png"])
def test_undecodable_files_get_a_clear_error(tmp_path, capsys, data, expected) -> None:
    code, out, err = check_with_good_neighbour(tmp_path, "x.yaml", data, capsys)
    assert code == 2
    assert f"{tmp_path / 'x.yaml'}: error: " in err and expected in err


def test_undecodable_file_is_not_written_by_fix(tmp_path, capsys) -> None:
    data = b"id: caf\xe9\nnamespace: x\n" + BAD_FLOW.encode()[len("id: etl\nnamespace: x\n"):]
    path, other = tmp_path / "x.yaml", tmp_path / "other.yaml"
    path.write_bytes(data)
    other.write_text(BAD_FLOW)
    code, _, err = run(["check", "--fix", str(path), str(other)], capsys)
    assert code == 2 and f"{path}: error: not valid UTF-8" in err
    assert path.read_bytes() == data
    assert "pip install" not in (tmp_path / "other.yaml").read_text()  # the other was fixed


def test_file_over_the_size_limit(tmp_path, capsys) -> None:
    big = BAD_FLOW + "# padding\n" * 40
    code, out, err = check_with_good_neighbour(tmp_path, "big.yaml", big.encode(), capsys,
                                               "--max-file-size", "500")
    # other.yaml is under 500 bytes and is still checked; big.yaml is refused with the limit.
    assert code == 2
    assert findings_of(out, tmp_path / "big.yaml") == []
    assert f"{tmp_path / 'big.yaml'}: error: file is {len(big):,} bytes, over the limit of " \
           "500 (--max-file-size)" in err


def test_file_over_the_size_limit_is_not_fixed(tmp_path, capsys) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(BAD_FLOW)
    code, _, err = run(["check", "--fix", "--max-file-size", "100", str(path)], capsys)
    assert code == 2 and "over the limit of 100" in err
    assert path.read_text() == BAD_FLOW


# --- hostile YAML --------------------------------------------------------------------------


def billion_laughs(fixable: bool) -> str:
    lines = ["id: bomb", "namespace: company.team", "variables:",
             "  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 10):
        lines.append(f"  a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    lines += ["tasks:", "  - id: laugh", "    type: io.kestra.plugin.scripts.python.Script",
              "    labels: *a9", "    env: {x: *a9}"]
    if fixable:
        lines += ["    beforeCommands:", "      - pip install pandas"]
    lines += ["    script: print(1)", "  - id: again", "    type: io.kestra.plugin.core.log.Log",
              "    message: *a9"]
    return "\n".join(lines) + "\n"


BOMB_PROBE = textwrap.dedent("""\
    import json, resource, sys, time
    from flowlint.cli import main
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    code = main(sys.argv[1:])
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"code": code, "seconds": elapsed, "grown_kb": after - before}),
          file=sys.stderr)
""")


@pytest.mark.parametrize("args", [["check"], ["check", "--fix", "--unsafe-fixes"],
                                  ["check", "--diff", "--strategy", "working-dir-cache"]],
                         ids=["check", "fix", "diff-wdc"])
def test_alias_bomb_costs_bounded_time_and_memory(tmp_path, args) -> None:
    import json

    path = tmp_path / "bomb.yaml"
    path.write_text(billion_laughs(fixable=True))
    done = subprocess.run([sys.executable, "-c", BOMB_PROBE, *args, str(path)],
                          capture_output=True, text=True, timeout=60)
    assert "Traceback" not in done.stderr + done.stdout
    stats = json.loads(done.stderr.strip().splitlines()[-1])
    assert stats["code"] in (0, 1, 2)
    assert stats["seconds"] < 2, stats
    assert stats["grown_kb"] < 200 * 1024, stats


def test_alias_bomb_is_checked_and_fixed(tmp_path, capsys) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(billion_laughs(fixable=True))
    code, out, _ = run(["check", "--format", "concise", str(path)], capsys)
    assert code == 1 and ":20:9: FL001" in out
    code, _, _ = run(["check", "--fix", str(path)], capsys)
    assert "pip install" not in path.read_text()
    assert path.read_text().count("*a9") == 3


@pytest.mark.parametrize("body", [
    "tasks: " + "[" * 10_000 + "]" * 10_000,
    "tasks: " + "{a: " * 10_000 + "1" + "}" * 10_000,
    "tasks:\n" + "- " * 10_000 + "x",
    "tasks:\n" + "".join(" " * level + "-\n" for level in range(0, 2000)),
    "tasks: " + "[" * 10_000,
    "variables:\n  v: " + "[" * 10_000 + "]" * 10_000 + "\ntasks: []",
], ids=["flow-seq", "flow-map", "dashes", "block-seq-2000", "unclosed", "deep-variable"])
def test_deep_nesting_does_not_crash(tmp_path, capsys, body) -> None:
    data = f"id: deep\nnamespace: company.team\n{body}\n".encode()
    code, out, err = check_with_good_neighbour(tmp_path, "deep.yaml", data, capsys)
    deep = tmp_path / "deep.yaml"
    assert code == 1 and f"{deep}: error" not in err
    rules = [line.split()[1] for line in findings_of(out, deep)]
    assert rules == (["FL000"] if body.endswith("[") else [])


def test_deep_nesting_beside_a_fixable_task_with_fix(tmp_path, capsys) -> None:
    deep = BAD_FLOW + "variables:\n  v: " + "[" * 10_000 + "]" * 10_000 + "\n"
    path = tmp_path / "deep.yaml"
    path.write_text(deep)
    code, out, err = run(["check", "--fix", "--format", "concise", str(path)], capsys)
    assert path.read_text() in (deep, deep.replace("    beforeCommands:\n      - pip install "
                                                   "pandas requests\n", ""))


def test_deep_nesting_outside_the_task_keeps_findings_with_fix(tmp_path, capsys) -> None:
    deep = BAD_FLOW + "variables:\n  v: " + "[" * 10_000 + "]" * 10_000 + "\n"
    path = tmp_path / "deep.yaml"
    path.write_text(deep)
    code, out, err = run(["check", "--diff", "--format", "concise", str(path)], capsys)
    assert "error" not in err
    assert code == 1


def test_duplicate_keys_are_fl000(tmp_path, capsys) -> None:
    data = BAD_FLOW.replace("    script: print(1)\n",
                            "    script: print(1)\n    script: print(2)\n").encode()
    data = b"id: first\n" + data
    code, out, _ = check_with_good_neighbour(tmp_path, "dup.yaml", data, capsys)
    lines = findings_of(out, tmp_path / "dup.yaml")
    assert code == 1
    assert any(":2:1: FL000" in line and "duplicate key 'id'" in line for line in lines), lines
    assert any(":10:5: FL000" in line and "duplicate key 'script'" in line for line in lines)


def test_duplicate_keys_are_never_fixed(tmp_path, capsys) -> None:
    data = "id: first\n" + BAD_FLOW
    path = tmp_path / "dup.yaml"
    path.write_text(data)
    code, _, _ = run(["check", "--fix", "--unsafe-fixes", str(path)], capsys)
    assert code == 1
    assert path.read_text() == data


@pytest.mark.parametrize("tagged", [
    '!!python/object/apply:os.system ["touch {marker}"]',
    "!!python/name:os.system",
    '!!python/object/new:os.system ["touch {marker}"]',
    "!!python/module:os",
    '!custom {{cmd: "touch {marker}"}}',
    '!!binary "aGVsbG8="',
])
def test_unknown_tags_are_never_constructed(tmp_path, capsys, tagged) -> None:
    marker = tmp_path / "pwned"
    value = tagged.format(marker=marker)
    flow = BAD_FLOW + f"    env:\n      X: {value}\nvariables:\n  v: {value}\n"
    path = tmp_path / "tags.yaml"
    path.write_text(flow)
    for args in (["check"], ["check", "--fix", "--unsafe-fixes"],
                 ["check", "--diff", "--strategy", "working-dir-cache"]):
        run([*args, "--format", "concise", str(path)], capsys)
    assert not marker.exists()
    assert value in path.read_text()


def test_tab_only_line_is_a_finding_or_clean(tmp_path, capsys) -> None:
    code, out, err = check_with_good_neighbour(tmp_path, "x.yaml", b"  \n\t\n", capsys)
    assert code == 1 and "error" not in err
    assert all(" FL000 " in line for line in findings_of(out, tmp_path / "x.yaml"))


def test_tabs_in_indentation_are_fl000(tmp_path, capsys) -> None:
    data = BAD_FLOW.replace("    script:", "\tscript:").encode()
    code, out, _ = check_with_good_neighbour(tmp_path, "tabs.yaml", data, capsys)
    (line,) = findings_of(out, tmp_path / "tabs.yaml")
    assert code == 1 and ":8:1: FL000 invalid YAML" in line


def test_tabs_in_indentation_are_never_fixed(tmp_path, capsys) -> None:
    data = BAD_FLOW.replace("    script:", "\tscript:")
    path = tmp_path / "tabs.yaml"
    path.write_text(data)
    run(["check", "--fix", "--unsafe-fixes", str(path)], capsys)
    assert path.read_text() == data


PEBBLE_FLOW = """\
id: "{{ 'pebble' }}"
namespace: company.{{ vars.team }}
variables:
  "{{ key }}": "{{ value }}"
  '{{ other }}': {{ unquoted }}
tasks:
  - id: "{{ task }}"
    type: io.kestra.plugin.scripts.python.Script
    containerImage: "{{ vars.image }}"
    "{{ dynamic }}": x
    beforeCommands:
      - pip install {{ inputs.packages }}
      - "pip install pandas=={{ vars.pandas }} {{ inputs.extra }}"
      - pip install -r {{ workingDir }}/requirements.txt && echo {{ '}}' }}
      - "{{ inputs.cmd }}"
    script: |
      print("{{ outputs.x.value }}")
      {% for row in inputs.rows %}print({{ row }}){% endfor %}
  - id: plain
    type: io.kestra.plugin.scripts.python.Commands
    commands:
      - pip install requests {{ inputs.more }}
      - python {{ inputs.script }}
"""


@pytest.mark.parametrize("strategy", ["auto", "dependencies", "working-dir-cache",
                                      "custom-image", "process-runner"])
def test_pebble_everywhere(tmp_path, capsys, strategy) -> None:
    path = tmp_path / "pebble.yaml"
    path.write_text(PEBBLE_FLOW)
    run(["check", "--format", "json", str(path)], capsys)
    code, _, _ = run(["check", "--fix", "--unsafe-fixes", "--strategy", strategy,
                      "--image", "reg/{flow}:1", str(path)], capsys)
    assert_parses(path.read_text())


def assert_parses(text: str) -> None:
    from flowlint.source import Source
    from flowlint.yamlnodes import compose

    _, problem = compose(Source.from_text("x", text))
    assert problem is None, problem


# --- unreadable files and directory walks -------------------------------------------------


def test_a_folder_written_with_a_double_slash_is_the_folder(tmp_path, capsys) -> None:
    """`.//flows` names ./flows: its files are flows/x.yaml, never /flows/x.yaml (which
    would read, and with --fix write, another file)."""
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "x.yaml").write_text(BAD_FLOW)
    code, out, _ = run(["check", "--no-cache", "--format", "concise", ".//flows"], capsys)
    assert code == 1 and out.startswith(os.path.join("flows", "x.yaml") + ":")


@pytest.mark.skipif(sys.platform == "win32", reason="file names that are not UTF-8 are POSIX")
def test_sarif_of_a_file_whose_name_is_not_utf8(tmp_path, capsys) -> None:
    import json

    (tmp_path / os.fsdecode(b"bad\xff.yaml")).write_text(BAD_FLOW)
    code, out, _ = run(["check", "--no-cache", "--output-format", "sarif", "."], capsys)
    location = json.loads(out)["runs"][0]["results"][0]["locations"][0]
    assert code == 1 and location["physicalLocation"]["artifactLocation"]["uri"] == \
        "bad%FF.yaml"


@pytest.mark.skipif(sys.platform == "win32", reason="file names that are not UTF-8 are POSIX")
@pytest.mark.parametrize("output_format", ["github", "json", "json-lines", "junit", "full"])
@pytest.mark.parametrize("locale", [{"PYTHONIOENCODING": "utf-8"}, {"LC_ALL": "C"}],
                         ids=["strict-utf-8", "C-locale"])
def test_every_format_writes_a_name_that_is_not_utf8(tmp_path, output_format, locale) -> None:
    """Written as `\\udcff` (not a traceback, not the raw byte), to a strict UTF-8 stdout, to
    a C locale's (surrogateescape) and to `-o`."""
    (tmp_path / os.fsdecode(b"bad\xff.yaml")).write_text(BAD_FLOW)
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("PYTHONIOENCODING", "PYTHONUTF8", "LC_ALL", "LC_CTYPE", "LANG")}
    for extra in ([], ["-o", "report.txt"]):
        done = subprocess.run([sys.executable, "-m", "flowlint", "check", "--no-cache",
                               "--output-format", output_format, *extra, "."], cwd=tmp_path,
                              capture_output=True, timeout=120, env={**environment, **locale})
        written = (tmp_path / "report.txt").read_bytes() if extra else done.stdout
        assert done.returncode == 1 and b"Traceback" not in done.stderr, done.stderr
        assert b"bad\\udcff.yaml" in written, written[:300]
        written.decode("utf-8")   # the report itself is UTF-8


def test_a_removed_current_folder_is_a_clear_error(tmp_path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    (tmp_path / "f.yaml").write_text(GOOD_FLOW)
    script = (f"import os, sys; os.chdir({str(gone)!r}); os.rmdir({str(gone)!r}); "
              f"sys.argv = ['flowlint', 'check', '--no-cache', {str(tmp_path)!r}]; "
              "import runpy; runpy.run_module('flowlint')")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "the current folder cannot be read" in done.stderr
    assert "cannot write the output" not in done.stderr


def test_dangling_symlink_and_directory_named_yaml(tmp_path, capsys) -> None:
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "missing.yaml")
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    (tmp_path / "folder.yaml").mkdir()
    (tmp_path / "folder.yaml" / "inner.yaml").write_text(GOOD_FLOW)
    (tmp_path / "bad.yaml").write_text(BAD_FLOW)
    code, out, err = run(["check", "--format", "concise", str(tmp_path)], capsys)
    assert code == 2
    assert f"{tmp_path / 'bad.yaml'}:7:9: FL001" in out
    assert f"{tmp_path / 'dangling.yaml'}: error: cannot read: No such file" in err
    assert f"{tmp_path / 'loop.yaml'}: error: cannot read: Too many levels" in err
    assert "folder.yaml: error" not in err


def test_directory_given_as_a_yaml_path_and_missing_path(tmp_path, capsys) -> None:
    (tmp_path / "flows.yaml").mkdir()
    (tmp_path / "flows.yaml" / "bad.yaml").write_text(BAD_FLOW)
    code, out, err = run(["check", "--format", "concise", str(tmp_path / "flows.yaml"),
                          str(tmp_path / "missing.yaml")], capsys)
    assert code == 2
    assert "bad.yaml:7:9: FL001" in out
    assert f"{tmp_path / 'missing.yaml'}: error: cannot read" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads chmod 000 files anyway")
def test_permission_denied(tmp_path, capsys) -> None:
    locked = tmp_path / "locked.yaml"
    locked.write_text(BAD_FLOW)
    locked.chmod(0)
    try:
        code, out, err = check_with_good_neighbour(tmp_path, "x.yaml", GOOD_FLOW.encode(), capsys,
                                                   str(locked))
    finally:
        locked.chmod(0o600)
    assert code == 2 and f"{locked}: error: cannot read: Permission denied" in err


def test_symlink_loop_in_a_tree_ends(tmp_path) -> None:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a").symlink_to(".")
    (tree / "b").symlink_to("a")
    (tree / "sub" / "up").symlink_to("..")
    (tree / "sub" / "bad.yaml").write_text(BAD_FLOW)
    done = subprocess.run([sys.executable, "-m", "flowlint", "check", "--format", "concise",
                           str(tree)], capture_output=True, text=True, timeout=20)
    assert "Traceback" not in done.stderr
    assert done.returncode == 1
    assert done.stdout.count("FL001") == 1


def test_named_pipe_in_a_tree_does_not_hang(tmp_path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "bad.yaml").write_text(BAD_FLOW)
    try:
        done = subprocess.run([sys.executable, "-m", "flowlint", "check", "--format",
                               "concise", str(tmp_path)], capture_output=True, text=True,
                              timeout=3)
    except subprocess.TimeoutExpired:
        pytest.fail("flowlint hung on a named pipe")
    assert done.returncode == 2 and "FL001" in done.stdout


def test_summary_does_not_say_all_passed_after_an_error(tmp_path, capsys) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(b"id: caf\xe9\n")
    code, _, err = run(["check", str(path)], capsys)
    assert code == 2
    assert "All checks passed" not in err


# --- writing fixes -------------------------------------------------------------------------


def test_file_changed_on_disk_during_fix_is_not_overwritten(tmp_path, capsys, monkeypatch) -> None:
    path = tmp_path / "flow.yaml"
    other = tmp_path / "other.yaml"
    path.write_text(BAD_FLOW)
    other.write_text(BAD_FLOW)
    edited = BAD_FLOW + "# edited by the user meanwhile\n"
    real_fix_source = flowlint.run.fix_loop.fix_source

    def fix_then_edit(source, *args, **kwargs):  # noqa: ANN001, ANN202
        result = real_fix_source(source, *args, **kwargs)
        if source.path == str(path):
            path.write_text(edited)
        return result

    monkeypatch.setattr(flowlint.run.fix_loop, "fix_source", fix_then_edit)
    code, _, err = run(["check", "--fix", str(path), str(other)], capsys)
    assert code == 2
    assert path.read_text() == edited
    assert f"{path}: error: not written: it changed on disk" in err
    assert "pip install" not in other.read_text()
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]


def test_failure_just_before_rename_leaves_the_original(tmp_path, capsys, monkeypatch) -> None:
    path = tmp_path / "flow.yaml"
    original = BAD_FLOW.replace("\n", "\r\n").encode()
    path.write_bytes(original)
    path.chmod(0o640)

    def failing_replace(source, target):  # noqa: ANN001, ANN202
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(flowlint.run.atomic_write.os, "replace", failing_replace)
    code, _, err = run(["check", "--fix", str(path)], capsys)
    assert code == 2
    assert f"{path}: error: not written: cannot write it: No space left on device" in err
    assert path.read_bytes() == original
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == ["flow.yaml"]


def test_interrupt_just_before_rename_leaves_no_temp_file(tmp_path, monkeypatch) -> None:
    from flowlint.run.atomic_write import write_atomic

    path = tmp_path / "flow.yaml"
    path.write_text(BAD_FLOW)

    def interrupted(source, target):  # noqa: ANN001, ANN202
        raise KeyboardInterrupt

    monkeypatch.setattr(flowlint.run.atomic_write.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(str(path), b"new", BAD_FLOW.encode())
    assert path.read_text() == BAD_FLOW
    assert os.listdir(tmp_path) == ["flow.yaml"]


def test_read_only_folder_gives_an_error_not_a_traceback(tmp_path, capsys, monkeypatch) -> None:
    import tempfile

    def no_temp_file(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise PermissionError(13, "Permission denied")

    path = tmp_path / "flow.yaml"
    path.write_text(BAD_FLOW)
    monkeypatch.setattr(tempfile, "mkstemp", no_temp_file)
    code, _, err = run(["check", "--fix", str(path)], capsys)
    assert code == 2
    assert f"{path}: error: not written: " in err and "Permission denied" in err
    assert path.read_text() == BAD_FLOW


def test_symlinked_flow_is_written_through(tmp_path, capsys) -> None:
    target = tmp_path / "real" / "flow.yaml"
    target.parent.mkdir()
    target.write_text(BAD_FLOW)
    link = tmp_path / "link.yaml"
    link.symlink_to(os.path.relpath(target, tmp_path))
    code, _, _ = run(["check", "--fix", str(link)], capsys)
    assert code == 0
    assert link.is_symlink() and os.readlink(link) == "real/flow.yaml"
    assert "dependencies:" in target.read_text() and "pip install" not in target.read_text()
    assert sorted(os.listdir(target.parent)) == ["flow.yaml"]


def test_file_mode_is_kept(tmp_path, capsys) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text(BAD_FLOW)
    path.chmod(0o640)
    code, _, _ = run(["check", "--fix", str(path)], capsys)
    assert code == 0 and "dependencies:" in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


CRLF_BOM_FLOW = (
    "# header comment  \r\n"
    "id: etl\r\n"
    "namespace: company.team\r\n"
    "tasks:\r\n"
    "  - id: log\r\n"
    "    type: io.kestra.plugin.core.log.Log\r\n"
    "    message: \"hi {{ flow.id }}\"   # keep me\r\n"
    "  - id: transform\r\n"
    "    type: io.kestra.plugin.scripts.python.Script\r\n"
    "    beforeCommands:\r\n"
    "      - pip install pandas requests\r\n"
    "    script: print(1)\r\n"
    "{between}"
    "  - id: after\r\n"
    "    type: io.kestra.plugin.core.log.Log\r\n"
    "    message: 'bye'\t\r\n"
    "\r\n"
)
TRANSFORM_START = CRLF_BOM_FLOW.index("  - id: transform")


@pytest.mark.parametrize("between", ["", "\r\n", "  # about the next task\r\n",
                                     "\r\n# about the next task\r\n\r\n"],
                         ids=["adjacent", "blank", "comment", "blank-comment"])
@pytest.mark.parametrize("strategy", ["auto", "working-dir-cache", "custom-image",
                                      "process-runner"])
def test_crlf_and_bom_kept_outside_the_fixed_task(tmp_path, capsys, strategy, between) -> None:
    text = CRLF_BOM_FLOW.replace("{between}", between)
    original = codecs.BOM_UTF8 + text.encode()
    path = tmp_path / "flow.yaml"
    path.write_bytes(original)
    code, _, _ = run(["check", "--fix", "--unsafe-fixes", "--strategy", strategy,
                      "--image", "reg/{flow}:1", str(path)], capsys)
    data = path.read_bytes()
    assert data != original
    assert data.startswith(codecs.BOM_UTF8) and not data.startswith(codecs.BOM_UTF8 * 2)
    fixed = data[len(codecs.BOM_UTF8):].decode()
    assert fixed.count("\n") == fixed.count("\r\n"), "a bare LF was written"
    head = TRANSFORM_START
    tail = text.index("script: print(1)\r\n") + len("script: print(1)\r\n")
    assert fixed[:head] == text[:head]
    # Everything after the fixed task (blank lines and comments between tasks included)
    # is byte-identical; only the transform task's own lines changed.
    assert fixed.endswith(text[tail:]), fixed
    assert "pip install pandas" not in fixed


def test_fix_is_idempotent_through_the_cli(tmp_path, capsys) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text(BAD_FLOW)
    run(["check", "--fix", "--unsafe-fixes", "--strategy", "working-dir-cache", str(path)],
        capsys)
    once = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    time.sleep(0.01)
    code, _, _ = run(["check", "--fix", "--unsafe-fixes", "--strategy", "working-dir-cache",
                      str(path)], capsys)
    assert path.read_bytes() == once
    assert path.stat().st_mtime_ns == mtime, "a file with nothing to fix was rewritten"


def test_stdin_with_bad_bytes(capsys, monkeypatch) -> None:
    import io

    class FakeStdin:
        buffer = io.BytesIO(b"id: \xff\xfe\n")

    monkeypatch.setattr(sys, "stdin", FakeStdin)
    code, out, err = run(["check", "--fix", "--stdin-filename", "flows/x.yaml"], capsys)
    assert code == 2 and "flows/x.yaml: error: not valid UTF-8" in err


def test_removed_property_keeps_the_comment_about_the_next_task(tmp_path, capsys) -> None:
    text = BAD_FLOW.replace("    script: print(1)\n", "") .replace(
        "    beforeCommands:", "    script: print(1)\n    beforeCommands:")
    text = text.replace("    type: io.kestra.plugin.scripts.python.Script\n",
                        "    type: io.kestra.plugin.scripts.python.Script\n"
                        "    containerImage: python:3.12-slim\n")
    text += "\n  # the next task logs\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n" \
            "    message: done\n"
    path = tmp_path / "flow.yaml"
    path.write_text(text)
    code, _, _ = run(["check", "--fix", "--strategy", "dependencies", str(path)], capsys)
    fixed = path.read_text()
    assert code == 0 and "pip install" not in fixed
    assert fixed.endswith("\n\n  # the next task logs\n  - id: log\n"
                          "    type: io.kestra.plugin.core.log.Log\n    message: done\n"), fixed


def task_property(text: str, task_id: str, key: str) -> object:
    from flowlint.kestra.flow import build_flow, is_flow
    from flowlint.source import Source
    from flowlint.yamlnodes import compose, to_data

    source = Source.from_text("x", text)
    documents, problem = compose(source)
    assert problem is None
    for index, document in enumerate(documents):
        if is_flow(document):
            for task in build_flow(source, document, index).tasks:
                if task.id == task_id:
                    return to_data(task.prop(key)) if task.prop(key) is not None else None
    raise AssertionError(f"no task {task_id}")


KEEP_FLOW = """\
id: keep
namespace: company.team
tasks:
  - id: t
    type: io.kestra.plugin.scripts.python.Script
    containerImage: python:3.12-slim
    beforeCommands:
      - pip install pandas
    script: {header}
      print(1)
{blank}
{after}  - id: u
    type: io.kestra.plugin.core.log.Log
    message: hi
"""


@pytest.mark.parametrize("header", ["|+", "&s |+", "|2+", ">+", "|"])
@pytest.mark.parametrize("after", ["", "  # about u\n"], ids=["", "comment"])
@pytest.mark.parametrize("strategy", ["auto", "working-dir-cache", "custom-image",
                                      "process-runner"])
def test_block_scalar_with_keep_chomping_keeps_its_value(tmp_path, capsys, header, after,
                                                         strategy) -> None:
    blank = "\n      \n" if header != "|" else "\n"
    text = KEEP_FLOW.format(header=header, blank=blank, after=after)
    script = task_property(text, "t", "script")
    path = tmp_path / "flow.yaml"
    path.write_text(text)
    run(["check", "--fix", "--unsafe-fixes", "--strategy", strategy, "--image", "r/{flow}:1",
         str(path)], capsys)
    fixed = path.read_text()
    if "pip install pandas" in fixed:   # refused (an explicit indentation indicator)
        assert (strategy, header) == ("working-dir-cache", "|2+") and fixed == text
    assert task_property(fixed, "t", "script") == script
    assert fixed.endswith(after + "  - id: u\n    type: io.kestra.plugin.core.log.Log\n"
                          "    message: hi\n")


def test_alias_item_in_dependencies_is_extended_in_place(tmp_path, capsys) -> None:
    text = """\
variables:
  pkg: &pkg requests
id: x
namespace: y
tasks:
  - id: t
    type: io.kestra.plugin.scripts.python.Script
    containerImage: python:3.12-slim
    dependencies:
      - *pkg
    beforeCommands:
      - pip install pandas
    script: print(1)
    retry: *pkg
"""
    path = tmp_path / "flow.yaml"
    path.write_text(text)
    code, _, err = run(["check", "--fix", str(path)], capsys)
    assert code == 0, err
    assert path.read_text() == text.replace("      - *pkg\n    beforeCommands:\n      - pip "
                                            "install pandas\n", "      - *pkg\n      - pandas\n")


FLOW_LIST_FLOW = """\
id: etl
namespace: company.team
tasks:
  - id: run
    type: io.kestra.plugin.scripts.python.Commands
    containerImage: python:3.12-slim
    dependencies: [numpy]
    beforeCommands: [{installs}, python -V]
    commands: [python main.py]
"""


@pytest.mark.parametrize("installs", [
    """pip install pandas, "pip install 'rich[jupyter]'\"""",
    """pip install pandas, 'pip install ''pandas>=2,<3'''""",
    """"pip install 'rich[jupyter]'\"""",
    """'uv pip install --system ''a{b}'''""",
], ids=["brackets", "comma", "dependencies-brackets", "braces"])
@pytest.mark.parametrize("strategy", ["auto", "dependencies", "working-dir-cache",
                                      "custom-image", "process-runner"])
def test_rewrites_inside_flow_lists_are_quoted(tmp_path, capsys, installs, strategy) -> None:
    """Plain scalars in `[...]` cannot hold , [ ] { }: what a fix writes there is quoted."""
    text = FLOW_LIST_FLOW.format(installs=installs)
    assert_parses(text)
    path = tmp_path / "flow.yaml"
    path.write_text(text)
    code, diff, report = run(["check", "--diff", "--unsafe-fixes", "--strategy", strategy,
                              "--image", "r/{flow}:1", str(path)], capsys)
    out = diff + report   # with --diff the report goes to stderr
    assert "failed verification" not in out
    run(["check", "--fix", "--unsafe-fixes", "--strategy", strategy, "--image", "r/{flow}:1",
         str(path)], capsys)
    fixed = path.read_text()
    assert_parses(fixed)
    assert fixed != text or "no fix" in out


@pytest.mark.parametrize("strategy", ["auto", "working-dir-cache", "custom-image",
                                      "process-runner"])
def test_a_commands_task_keeps_its_commands(tmp_path, capsys, strategy) -> None:
    """`commands` is required on Commands tasks: a fix may not remove the whole list."""
    text = """\
id: etl
namespace: company.team
tasks:
  - id: setup
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - pip install requests
"""
    path = tmp_path / "flow.yaml"
    path.write_text(text)
    run(["check", "--fix", "--unsafe-fixes", "--strategy", strategy, "--image", "r/{flow}:1",
         str(path)], capsys)
    commands = task_property(path.read_text(), "setup", "commands")
    assert commands, path.read_text()


def test_overlapping_edits_inside_a_wrapped_task_are_refused() -> None:
    from flowlint.findings import Edit, FixRefused
    from flowlint.remedies.task_edits import apply_within

    with pytest.raises(FixRefused, match="overlap"):
        apply_within("0123456789", 0, 10, [Edit(2, 6, "x"), Edit(4, 5, "y")])
    assert apply_within("0123456789", 0, 10, [Edit(2, 4, "x"), Edit(4, 4, "y")]) == "01xy456789"


NO_FINAL_NEWLINE = """\
id: etl
namespace: company.team
tasks:
  - id: run
    type: io.kestra.plugin.scripts.python.Script
    containerImage: python:3.12-slim
    beforeCommands:
      - pip install pandas
{last}"""


@pytest.mark.parametrize("last", [
    "    script: |\n      print(1)",
    "    script: >\n      print(1)",
    "    script: |2\n        print(1)",
    "    inputFiles:\n      main.py: |\n        print(1)\n    script: print(2)",
    "    taskRunner:\n      type: io.kestra.plugin.scripts.runner.docker.Docker",
    "    script: print(1)\n    dependencies:\n      - numpy",
    "    script: print(1)\n    env:\n      A: b",
], ids=["literal", "folded", "indicator", "nested-block", "task-runner", "dependencies", "env"])
@pytest.mark.parametrize("strategy", ["auto", "working-dir-cache", "custom-image",
                                      "process-runner"])
def test_fix_at_the_end_of_a_file_without_final_newline(tmp_path, capsys, last,
                                                        strategy) -> None:
    text = NO_FINAL_NEWLINE.format(last=last)
    path = tmp_path / "flow.yaml"
    path.write_text(text)
    before = {key: task_property(text, "run", key) for key in ("script", "inputFiles")}
    code, out, _ = run(["check", "--diff", "--unsafe-fixes", "--strategy", strategy,
                        "--image", "r/{flow}:1", "--format", "concise", str(path)], capsys)
    assert "failed verification" not in out
    run(["check", "--fix", "--unsafe-fixes", "--strategy", strategy, "--image", "r/{flow}:1",
         str(path)], capsys)
    fixed = path.read_text()
    assert "pip install pandas" not in fixed or (strategy, last[:15]) == (
        "working-dir-cache", "    script: |2\n")
    assert not fixed.endswith("\n"), "a final newline was added"
    for key, value in before.items():
        assert task_property(fixed, "run", key) == value, key


def test_diff_owns_stdout_and_the_json_report_goes_to_stderr(tmp_path, capsys) -> None:
    import json

    path = tmp_path / "flow.yaml"
    path.write_text(BAD_FLOW)
    code, out, err = run(["check", "--diff", "--format", "json", str(path)], capsys)
    assert code == 1
    assert out.startswith(f"--- a/{path}")   # `flowlint check --diff | patch -p1` works
    assert "findings" in json.loads(err)
