"""Files and processes under --fix (flowlint/run/atomic_write.py, flowlint/run/pipeline.py):
two runs fixing the same files lose no write, a run killed at any moment leaves every file
whole, no worker behind and no temporary file after the next run, and a rewritten file keeps
its owner, group and mode, while hard links and read-only files are refused."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import flowlint.run.atomic_write as atomic_write
import flowlint.run.pipeline as pipeline
from flowlint.cli import main

fcntl = pytest.importorskip("fcntl")

PACKAGES = ("pandas requests", "numpy", "pyyaml boto3", "httpx", "polars")


def flow(number: int, tasks: int = 1) -> str:
    lines = [f"id: etl{number}", "namespace: company.team", "tasks:"]
    for task in range(tasks):
        lines += [f"  - id: step{task}",
                  "    type: io.kestra.plugin.scripts.python.Script",
                  "    beforeCommands:",
                  f"      - pip install {PACKAGES[(number + task) % len(PACKAGES)]}",
                  f"    script: print({task})"]
    return "\n".join(lines) + "\n"


def write_flows(folder: Path, count: int, tasks: int = 1) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    originals = {}
    for number in range(count):
        data = flow(number, tasks).encode()
        (folder / f"f{number:03}.yaml").write_bytes(data)
        originals[f"f{number:03}.yaml"] = data
    return originals


def flowlint(args: list[str], cwd: Path, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flowlint", "check", "--isolated", *args],
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **popen)


def fixed_by(args: list[str], folder: Path, originals: dict[str, bytes]) -> dict[str, bytes]:
    """What a clean, lone run with `args` makes of each file (run on a copy)."""
    copy = folder.parent / f"{folder.name}-expected-{abs(hash(tuple(args)))}"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir()
    for name, data in originals.items():
        (copy / name).write_bytes(data)
    process = flowlint([*args, *sorted(originals)], copy)
    out, err = process.communicate(timeout=120)
    assert process.returncode in (0, 1), out + err
    return {name: (copy / name).read_bytes() for name in originals}


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """The exit code, and the report and messages together."""
    code = main(["check", "--isolated", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "internal error" not in out + err, out + err
    return code, out + err


# --- two runs at once (lost update) ---------------------------------------------------------

DEPENDENCIES = ["--fix", "--show-fixes", "--strategy", "dependencies"]
PROCESS_RUNNER = ["--fix", "--show-fixes", "--unsafe-fixes", "--strategy", "process-runner"]
FIXED = re.compile(r"^(\S+): fixed ", re.MULTILINE)
SKIPPED = re.compile(r"^(\S+): error: not written: it changed on disk since it was read$",
                     re.MULTILINE)


def test_two_fix_runs_at_once_lose_no_write(tmp_path: Path) -> None:
    folder = tmp_path / "flows"
    originals = write_flows(folder, 30)
    first, second = fixed_by(DEPENDENCIES, folder, originals), fixed_by(PROCESS_RUNNER, folder,
                                                                      originals)
    # Neither fixes the other's version, so the file holds exactly one run's version.
    assert fixed_by(PROCESS_RUNNER, folder, first) == first
    assert fixed_by(DEPENDENCIES, folder, second) == second
    assert all(first[name] != second[name] != originals[name] for name in originals)
    skips = 0
    for _ in range(3):
        for name, data in originals.items():
            (folder / name).write_bytes(data)
        runs = [flowlint([*args, *sorted(originals)], folder)
                for args in (DEPENDENCIES, PROCESS_RUNNER)]
        reports = [run.communicate(timeout=120) for run in runs]
        fixed = [set(FIXED.findall(err)) for _, err in reports]
        skipped = [set(SKIPPED.findall(err)) for _, err in reports]
        for run, (out, err), its_skips in zip(runs, reports, skipped):
            assert "Traceback" not in out + err, err
            assert run.returncode == (2 if its_skips else 0), out + err
        for name in originals:
            on_disk = (folder / name).read_bytes()
            assert on_disk in (first[name], second[name]), name
            # Every file a run reports fixed holds that run's version ...
            assert (name in fixed[0]) + (name in fixed[1]) == 1, (name, reports)
            assert on_disk == (first[name] if name in fixed[0] else second[name]), name
            for index in (0, 1):
                # ... and the other run reports it skipped, or read it after the write
                # (then nothing is left to fix and nothing is said about it).
                assert not (name in fixed[index] and name in skipped[index])
                if name not in fixed[index] and name not in skipped[index]:
                    assert name not in reports[index][0], reports[index][0]
        skips += len(skipped[0]) + len(skipped[1])
    print(f"skipped as changed on disk: {skips} of 90 contested files")


@pytest.mark.parametrize("how", ["in place", "renamed over"])
def test_file_changed_between_read_and_rename_is_not_overwritten(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        how: str) -> None:
    path, other = tmp_path / "flow.yaml", tmp_path / "other.yaml"
    path.write_text(flow(1))
    other.write_text(flow(2))
    edited = flow(1) + "# edited meanwhile\n"

    def edit(target: str) -> None:
        if target == str(path):
            assert [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
            if how == "in place":
                path.write_text(edited)
            else:
                (tmp_path / "new").write_text(edited)
                os.replace(tmp_path / "new", path)

    monkeypatch.setattr(atomic_write, "before_commit", edit)
    code, err = cli(["--fix", "--show-fixes", str(path), str(other)], capsys)
    assert code == 2
    assert path.read_text() == edited
    assert f"{path}: error: not written: it changed on disk since it was read" in err
    assert f"{path}: fixed" not in err and f"{other}: fixed" in err
    assert "Applied 1 fix(es) in 1 file(s)." in err
    assert "pip install" not in other.read_text()
    assert sorted(os.listdir(tmp_path)) == ["flow.yaml", "other.yaml"]


def hold_lock_then(path: Path, seconds: float, action=None) -> threading.Thread:  # noqa: ANN001
    """Another flowlint in the middle of its write: it holds the lock on `path` for
    `seconds`, does `action`, then lets go."""
    descriptor = os.open(path, os.O_RDONLY)
    fcntl.flock(descriptor, fcntl.LOCK_EX)

    def later() -> None:
        time.sleep(seconds)
        if action is not None:
            action()
        os.close(descriptor)

    thread = threading.Thread(target=later)
    thread.start()
    return thread


def test_a_write_waits_for_the_lock_and_then_sees_the_other_write(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text(flow(1))
    theirs = flow(1).replace("print(0)", "print('theirs')")
    threads = []

    def their_write() -> None:
        (tmp_path / ".theirs").write_text(theirs)
        os.replace(tmp_path / ".theirs", path)

    def competing(target: str) -> None:
        threads.append(hold_lock_then(path, 0.3, their_write))

    monkeypatch.setattr(atomic_write, "before_commit", competing)
    started = time.monotonic()
    code, err = cli(["--fix", str(path)], capsys)
    threads[0].join()
    assert time.monotonic() - started >= 0.3
    assert code == 2 and "not written: it changed on disk since it was read" in err
    assert path.read_text() == theirs


def test_a_write_waits_for_the_lock_and_writes_when_nothing_changed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text(flow(1))
    threads = []
    monkeypatch.setattr(atomic_write, "before_commit",
                        lambda target: threads.append(hold_lock_then(path, 0.3)))
    started = time.monotonic()
    code, err = cli(["--fix", str(path)], capsys)
    threads[0].join()
    assert time.monotonic() - started >= 0.3
    assert code == 0, err
    assert "dependencies:" in path.read_text()
    assert os.listdir(tmp_path) == ["flow.yaml"]


def test_a_worker_whose_run_is_gone_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text(flow(1))
    # As in a worker whose parent died: its parent pid is no longer the one it started with.
    monkeypatch.setattr(pipeline, "_parent", -1)
    monkeypatch.setattr(pipeline, "_main", -1)
    code, err = cli(["--fix", "--show-fixes", str(path)], capsys)
    assert code == 2
    assert f"{path}: error: not written: {atomic_write.STOPPED}" in err
    assert f"{path}: fixed" not in err and "Fixed" not in err
    assert path.read_text() == flow(1)
    assert os.listdir(tmp_path) == ["flow.yaml"]


# --- kill -9 ----------------------------------------------------------------------------------


def processes_mentioning(marker: str) -> list[int]:
    """Live (not zombie) processes whose command line holds `marker`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read().decode(errors="replace")
            with open(f"/proc/{entry}/stat") as handle:
                state = handle.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in command and state not in ("Z", "X"):
            found.append(int(entry))
    return found


def temporaries(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")
def test_kill_9_leaves_whole_files_no_workers_and_no_temporary_files(tmp_path: Path) -> None:
    folder = tmp_path / "kill-9-flows"
    originals = write_flows(folder, 200, tasks=4)
    args = ["--fix", "--jobs", "2", "."]
    started = time.monotonic()
    expected = fixed_by(args[:-1], folder, originals)
    duration = time.monotonic() - started
    assert all(expected[name] != originals[name] for name in originals)
    rounds, rng = [], random.Random(9)
    for _ in range(10):
        for name, data in originals.items():
            (folder / name).write_bytes(data)
        run = flowlint(args, folder)
        time.sleep(rng.uniform(0.15, duration))
        run.send_signal(signal.SIGKILL)
        run.communicate()
        deadline = time.monotonic() + 3
        while processes_mentioning(str(folder)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert processes_mentioning(str(folder)) == [], "workers outlived the killed run"
        states = {name: (folder / name).read_bytes() for name in originals}
        assert all(states[name] in (originals[name], expected[name]) for name in originals)
        time.sleep(0.3)   # nothing goes on writing
        assert states == {name: (folder / name).read_bytes() for name in originals}
        rounds.append((sum(states[name] == expected[name] for name in originals),
                       len(temporaries(folder))))
    print("files fixed, temporary files left, per killed run:", rounds)
    run = flowlint(args, folder)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, out + err
    assert temporaries(folder) == []
    assert {name: (folder / name).read_bytes() for name in originals} == expected


def test_temporary_files_of_dead_processes_are_removed_before_a_fix(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text(flow(1))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        left = tmp_path / f".flow.yaml.flowlint-{dead.pid}.x1y2z3.tmp"
        in_flight = tmp_path / f".flow.yaml.flowlint-{alive.pid}.a1b2c3.tmp"
        theirs = tmp_path / ".flow.yaml.a1b2c3.tmp"   # not flowlint's: kept
        # Its pid now belongs to a process that started after the file was written: reused.
        reused = tmp_path / f".flow.yaml.flowlint-{alive.pid}.q9w8e7.tmp"
        for temporary in (left, in_flight, theirs, reused):
            temporary.write_text("")
        an_hour_ago = time.time() - 3600
        os.utime(reused, (an_hour_ago, an_hour_ago))
        code, err = cli(["--fix", str(path)], capsys)
        assert code == 0, err
        assert not left.exists() and in_flight.exists() and theirs.exists()
        if os.path.isdir("/proc/self"):   # where a process's start time can be read
            assert not reused.exists()
        assert "dependencies:" in path.read_text()
    finally:
        alive.kill()
        alive.wait()


# --- file metadata -----------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="giving a file to another user needs root")
def test_rewritten_file_keeps_owner_group_and_mode(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text(flow(1))
    os.chown(path, 12345, 54321)
    path.chmod(0o640)
    code, err = cli(["--fix", str(path)], capsys)
    assert code == 0, err
    info = path.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (12345, 54321, 0o640)
    assert "dependencies:" in path.read_text()


def test_hard_linked_file_is_not_split(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, link = tmp_path / "flow.yaml", tmp_path / "link.yaml"
    path.write_text(flow(1))
    os.link(path, link)
    code, err = cli(["--fix", str(path)], capsys)
    assert code == 2
    assert f"{path}: error: not written: it has 2 hard links, which writing would split" in err
    assert "Fixed" not in err
    assert path.read_text() == link.read_text() == flow(1)
    assert path.stat().st_ino == link.stat().st_ino and path.stat().st_nlink == 2
    assert sorted(os.listdir(tmp_path)) == ["flow.yaml", "link.yaml"]


def test_read_only_file_is_not_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, other = tmp_path / "flow.yaml", tmp_path / "other.yaml"
    path.write_text(flow(1))
    other.write_text(flow(2))
    path.chmod(0o444)
    code, err = cli(["--fix", str(path), str(other)], capsys)
    assert code == 2
    assert f"{path}: error: not written: it is read-only (mode 0444)" in err
    # Reported as read: its finding stays, and it is not counted as fixed.
    assert f"{path}:7:9: FL001" in err and "Applied 1 fix(es) in 1 file(s)." in err
    assert path.read_text() == flow(1) and stat.S_IMODE(path.stat().st_mode) == 0o444
    assert "pip install" not in other.read_text()


def test_symlink_to_a_file_with_a_mode_is_written_through(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "real" / "flow.yaml"
    target.parent.mkdir()
    target.write_text(flow(1))
    target.chmod(0o600)
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    code, err = cli(["--fix", str(link)], capsys)
    assert code == 0, err
    assert link.is_symlink() and "dependencies:" in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(target.parent) == ["flow.yaml"]
