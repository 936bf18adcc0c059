"""`flowlint [check] [FLAGS] [PATHS]` is read without click (flowlint.cli); every other command
line goes to click (flowlint.commands). The two readings must never differ: each flag the fast
path knows is one of check's click flags, and for any mix of flags and paths both build the
same CheckOptions."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest

from flowlint import check_command, cli, commands
from flowlint.check_command import CheckOptions


def click_defaults() -> dict[str, object]:
    """The value click gives each of check's options when the command line leaves it out."""
    with commands.check.make_context("check", []) as context:
        return dict(context.params)


def click_flags() -> dict[str, str]:
    """Every option of `check` that takes no value, by each of its spellings."""
    found = {}
    for param in commands.check.params:
        if isinstance(param, click.Option) and param.is_flag:
            assert click_defaults()[param.name] is False, param.name
            for spelling in (*param.opts, *param.secondary_opts):
                found[spelling] = param.name
    return found


def test_the_fast_path_knows_exactly_checks_flags() -> None:
    assert cli.FLAGS == click_flags()


def test_the_fast_path_knows_every_command() -> None:
    assert cli.COMMANDS == set(commands.main_group.commands)


def test_check_options_defaults_are_clicks() -> None:
    defaults = click_defaults()
    assert defaults.pop("paths") == ()
    assert defaults == CheckOptions._field_defaults


def captured_runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[str, ...], CheckOptions]]:
    runs: list[tuple[tuple[str, ...], CheckOptions]] = []

    def record(paths: tuple[str, ...], options: CheckOptions) -> None:
        runs.append((tuple(paths), options))
        raise SystemExit(0)

    monkeypatch.setattr(check_command, "run_check", record)
    monkeypatch.setattr(commands, "run_check", record)
    return runs


def test_both_readings_build_the_same_options(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("a.yaml", "b.yml", "flows"):
        (tmp_path / name).touch()
    runs = captured_runs(monkeypatch)
    spellings = sorted(cli.FLAGS)
    rng = random.Random(7)
    for _ in range(300):
        words = rng.sample(spellings, rng.randint(0, 5)) + \
            rng.sample(["a.yaml", "b.yml", "flows"], rng.randint(0, 3))
        rng.shuffle(words)
        args = (["check"] if rng.random() < 0.5 else []) + words
        if not args:
            continue
        assert cli.plain_check(args) is not None, args
        assert cli.main(args) == 0
        assert commands.run(["check", *[word for word in args if word != "check"]]) == 0
        fast, slow = runs[-2:]
        assert fast == slow, args


@pytest.mark.parametrize("args", [
    [], ["--help"], ["-h"], ["--version"], ["check", "--help"], ["rules"], ["rule", "FL001"],
    ["chek"], ["missing.yaml"], ["check", "-"], ["--format", "json", "a.yaml"],
    ["--format=json", "a.yaml"], ["-qv", "a.yaml"], ["--", "a.yaml"], ["--select", "FL001"],
    ["a.yaml", "--jobs", "1"], ["-j1", "a.yaml"], ["--no-cache", "--output-file", "x"],
])
def test_anything_else_goes_to_click(args: list[str], tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").touch()
    assert cli.plain_check(args) is None


def test_a_folder_named_like_a_command_is_the_command(tmp_path: Path, monkeypatch) -> None:
    """`flowlint rules` lists the rules even beside a folder named rules/, as click reads it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules").mkdir()
    assert cli.plain_check(["rules"]) is None
    assert cli.plain_check(["check", "rules"]) == (("rules",), set())


def test_a_plain_check_reports_the_same_as_click(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "flow.yaml").write_text(
        "id: f\nnamespace: n\ntasks:\n  - id: t\n"
        "    type: io.kestra.plugin.scripts.python.Script\n"
        "    beforeCommands:\n      - pip install pandas\n    script: print(1)\n")
    assert cli.main(["check", "--no-cache", "flow.yaml"]) == 1
    fast = capsys.readouterr()
    assert commands.run(["check", "--no-cache", "flow.yaml"]) == 1
    slow = capsys.readouterr()
    assert fast == slow and "FL001" in fast.out


# What click used to take care of, the same on both readings of the command line.

FLAGGED = ("id: f\nnamespace: n\ntasks:\n  - id: t\n"
           "    type: io.kestra.plugin.scripts.python.Script\n"
           "    beforeCommands:\n      - pip install pandas  # 日本語\n"
           "    script: import pandas\n")
BOTH_READINGS = [[], ["--exit-on", "info"]]   # flags alone (no click), and through click


def flowlint(args: list[str], cwd: Path, **options: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flowlint", *args], cwd=cwd,
                          capture_output=True, timeout=120, **options)


@pytest.mark.parametrize("extra", BOTH_READINGS)
def test_an_ascii_locale_gets_the_report_in_utf8(tmp_path: Path, extra: list[str]) -> None:
    (tmp_path / "f.yaml").write_text(FLAGGED, encoding="utf-8")
    done = flowlint(["check", "--no-cache", *extra, "f.yaml"], tmp_path,
                    env={**os.environ, "PYTHONIOENCODING": "ascii"})
    assert done.returncode == 1 and b"Traceback" not in done.stderr
    assert "# 日本語".encode() in done.stdout


@pytest.mark.parametrize("extra", BOTH_READINGS)
def test_closed_output_streams_are_no_error(tmp_path: Path, extra: list[str]) -> None:
    (tmp_path / "f.yaml").write_text(FLAGGED, encoding="utf-8")
    (tmp_path / "clean.yaml").write_text("id: f\nnamespace: n\ntasks: []\n")
    script = ("import os, sys, runpy; os.close({fd}); sys.{stream} = None; "
              "sys.argv = ['flowlint', *sys.argv[1:]]; runpy.run_module('flowlint')")
    for fd, stream, name, code in ((1, "stdout", "f.yaml", 1), (2, "stderr", "clean.yaml", 0)):
        done = subprocess.run([sys.executable, "-c", script.format(fd=fd, stream=stream),
                               "check", "--no-cache", *extra, name], cwd=tmp_path,
                              capture_output=True, timeout=120)
        assert done.returncode == code, (stream, done.stderr)
        assert b"Traceback" not in done.stderr


@pytest.mark.parametrize("extra", BOTH_READINGS)
def test_a_reader_that_leaves_is_exit_2(tmp_path: Path, extra: list[str]) -> None:
    """`flowlint check --show-files big/ | head -1`: the output cannot be written (exit 2),
    whichever reading of the command line, and no traceback."""
    for index in range(3000):
        (tmp_path / f"flow_{index:04}_with_a_longish_name.yaml").write_text("id: f\n")
    process = subprocess.Popen([sys.executable, "-m", "flowlint", "check", "--show-files",
                                *extra, "."], cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    process.stdout.close()   # the reader is gone before the first line is written
    error = process.stderr.read()
    assert process.wait(timeout=120) == 2 and b"Traceback" not in error


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_command_ends_without_teardown_and_with_its_whole_output(
        tmp_path: Path, jobs: str) -> None:
    """The command skips the interpreter's teardown (atexit handlers do not run), after one
    process or after a pool of forked workers, and what it wrote is all there."""
    for index in range(40):   # enough files for the pool
        (tmp_path / f"f{index}.yaml").write_text(FLAGGED, encoding="utf-8")
    script = ("import atexit, sys; atexit.register(lambda: print('TEARDOWN', file=sys.stderr)); "
              "sys.argv = ['flowlint', *sys.argv[1:]]; "
              "from flowlint.cli import entry; entry()")
    done = subprocess.run([sys.executable, "-c", script, "check", "--no-cache", "--jobs", jobs,
                           "--format", "concise", "."], cwd=tmp_path, capture_output=True,
                          timeout=120)
    assert done.returncode == 1, done.stderr
    assert b"TEARDOWN" not in done.stderr and b"Traceback" not in done.stderr
    assert done.stdout.count(b"FL001") == 40 and b"40 file(s) checked" in done.stderr


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="reads /proc (Linux)")
@pytest.mark.parametrize("workers_seen", [1, 3])
def test_ctrl_c_while_the_workers_start_stops_the_run(tmp_path: Path, workers_seen: int
                                                      ) -> None:
    """Ctrl-C sent to the run (not its workers) while its pool starts: exit 2, no traceback,
    no worker left; before, a pool half started could hang the exit for good."""
    import signal

    for index in range(200):
        (tmp_path / f"f{index}.yaml").write_text(FLAGGED, encoding="utf-8")
    run = subprocess.Popen([sys.executable, "-m", "flowlint", "check", "--no-cache",
                            "--jobs", "4", "."], cwd=tmp_path, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
    children_file = f"/proc/{run.pid}/task/{run.pid}/children"

    def children() -> list[str]:
        try:
            with open(children_file, encoding="ascii") as listing:
                return listing.read().split()
        except OSError:
            return []

    while len(children()) < workers_seen and run.poll() is None:
        time.sleep(0.0005)
    workers = children()
    run.send_signal(signal.SIGINT)
    error = run.communicate(timeout=60)[1]
    assert run.returncode in (1, 2) and b"Traceback" not in error   # 1: it had finished
    deadline = time.monotonic() + 10
    while any(os.path.exists(f"/proc/{pid}") for pid in workers) and \
            time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if os.path.exists(f"/proc/{pid}")]


def test_ctrl_c_is_exit_2_without_a_traceback(capsys) -> None:
    def interrupted() -> None:
        raise KeyboardInterrupt

    assert check_command.guarded(interrupted) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_an_internal_error_is_exit_2_and_asks_for_a_report(capsys) -> None:
    """A bug is not a finding: exit 2, as the README's exit codes say, with what to report."""
    def broken() -> None:
        raise RuntimeError("a bug")

    assert check_command.guarded(broken) == 2
    err = capsys.readouterr().err
    assert "flowlint: internal error (RuntimeError: a bug); please report it" in err


def test_unreadable_paths_are_reported_by_the_check_on_both_readings() -> None:
    """click does not refuse an unreadable path as a usage error: the check reports it per
    file (exit 2, the other files checked), as the reading without click does."""
    paths = next(param for param in commands.check.params if param.name == "paths")
    assert paths.type.readable is False
