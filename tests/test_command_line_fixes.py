"""A fix keeps what an install's command line does, or is refused: a property test under /bin/sh.

Command lines are generated from installs (with an environment variable, `sudo`, a version
from the shell, a `!`) and other commands (`echo`, `true`, `false`, `cd`, `mkdir`), joined by
`&&`, `||`, `;` and line breaks. The original line and, for each strategy, the fixed task are
run with stubs: `pip` records its arguments and PIP_INDEX_URL, `sudo` runs its arguments.
Packages a fix moves out of the line (`dependencies`, an image, the worker) count as installed
before the line runs. The packages installed, the index each was installed from, what the
other commands print and the exit status must be the same, or the fix must have been refused.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from flowlint.lint import Settings
from flowlint.remedies.fix_options import FixOptions
from flowlint.run.fix_loop import fix_source
from flowlint.source import Source

pytestmark = pytest.mark.skipif(shutil.which("sh") is None, reason="needs /bin/sh")

STRATEGIES = ("dependencies", "working-dir-cache", "custom-image", "process-runner")
PACKAGES = ("pandas", "requests==2.32.3", "polars", '"duckdb==$VER"')
OTHERS = ("echo A", "echo B", "true", "false", "cd sub", "mkdir -p sub")


@st.composite
def installs(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(("", "", "PIP_INDEX_URL=https://mirror.example/simple ",
                                   "sudo ", "! ")))
    packages = draw(st.lists(st.sampled_from(PACKAGES), min_size=1, max_size=2, unique=True))
    return f"{prefix}pip install {' '.join(packages)}"


@st.composite
def command_lines(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(installs(), st.sampled_from(OTHERS)), min_size=1,
                          max_size=4))
    if not any("pip install" in part for part in parts):
        parts.append(draw(installs()))
    line = parts[0]
    for part in parts[1:]:
        line += draw(st.sampled_from((" && ", " || ", "; ", "\n"))) + part
    return line


def flow(line: str) -> str:
    quoted = line.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return ("id: shapes\nnamespace: company.team\ntasks:\n  - id: run\n"
            "    type: io.kestra.plugin.scripts.python.Commands\n"
            f"    beforeCommands:\n      - \"{quoted}\"\n"
            "    commands:\n      - echo done\n")


def stubs(folder: Path) -> Path:
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    # A real pip creates its --target folder: the stub does too (a cached install stamps it).
    (bin_dir / "pip").write_text('#!/bin/sh\necho "pip ${PIP_INDEX_URL:-default} $*" '
                                 f'>> {folder}/pip.log\n'
                                 'for a in "$@"; do case "$a" in --target=*) '
                                 'mkdir -p "${a#--target=}";; esac; done\n')
    (bin_dir / "sudo").write_text('#!/bin/sh\nexec "$@"\n')
    for name in ("pip", "sudo"):
        (bin_dir / name).chmod(0o755)
    return bin_dir


def behaviour(script: str, folder: Path, installed_first: list[str]) -> tuple:
    """(packages installed with their index, what the commands printed, exit status)."""
    workdir = folder / "work"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir()
    log = folder / "pip.log"
    log.write_text("")
    done = subprocess.run(["/bin/sh", "-c", script], cwd=workdir, capture_output=True,
                          text=True, timeout=30,
                          env={"PATH": f"{folder / 'bin'}:/usr/bin:/bin", "VER": "1.1.3"})
    installed = {(package, "default") for package in installed_first}
    for line in log.read_text().splitlines():
        _, index, _, *arguments = line.split()
        installed |= {(argument.strip("'\""), index) for argument in arguments
                      if not argument.startswith("-")}
    return installed, done.stdout, done.returncode


def fixed_task(text: str, strategy: str) -> dict | None:
    run = fix_source(Source.from_text("shapes.yaml", text),
                     Settings(frozenset({"FL001", "FL005"}),
                              fix=FixOptions(strategy=strategy, image="reg.example/app:1")),
                     unsafe=True)
    if not run.applied:
        return None
    document = YAML(typ="safe").load(run.text)["tasks"][0]
    return document["tasks"][0] if "tasks" in document else document


def moved_packages(task: dict, text: str, strategy: str) -> list[str]:
    """What the fix moved out of the line: `dependencies`, or what the image or the worker
    is to hold (the installs' packages, as the flow wrote them before the fix)."""
    if strategy == "dependencies":
        return list(task.get("dependencies", []))
    if strategy in ("custom-image", "process-runner"):
        line = YAML(typ="safe").load(text)["tasks"][0]["beforeCommands"][0]
        return [word.strip('"') for part in line.replace("\n", ";").split("pip install ")[1:]
                for word in part.split("&&")[0].split("||")[0].split(";")[0].split()]
    return []


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(line=command_lines(), strategy=st.sampled_from(STRATEGIES))
def test_a_fix_keeps_what_the_command_line_does(tmp_path: Path, line: str,
                                                strategy: str) -> None:
    folder = tmp_path / strategy
    if not folder.exists():
        folder.mkdir()
        stubs(folder)
    text = flow(line)
    task = fixed_task(text, strategy)
    if task is None:
        return   # refused: nothing to compare
    original = behaviour(line + "\necho done", folder, [])
    script = "\n".join([*task.get("beforeCommands", []), *task["commands"]])
    after = behaviour(script, folder, moved_packages(task, text, strategy))
    assert after == original, (line, strategy, script)
