"""The working-dir-cache fix, run for real: the fixed task's shell lines under /bin/sh.

A tiny package with a console script is built here (a wheel written by hand: no network, no
build backend). The task installs it and runs its program and its module; after the fix the
lines run in a folder as Kestra's working directory would be: the program must run and the
import must work, a second run (cache restored, without file modes) must not install again
and must run the program, and a changed
package list must be installed at the next run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from flowlint.lint import Settings
from flowlint.remedies.fix_options import FixOptions
from flowlint.run.fix_loop import fix_source
from flowlint.source import Source

pytestmark = pytest.mark.skipif(shutil.which("sh") is None, reason="needs /bin/sh")


def build_wheel(folder: Path, name: str) -> None:
    """A wheel of `name` 1.0: a module and a console script of the same name."""
    info = f"{name}-1.0.dist-info"
    files = {
        f"{name}/__init__.py": f"def main():\n    print('{name} ran')\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                         "Tag: py3-none-any\n",
        f"{info}/entry_points.txt": f"[console_scripts]\n{name} = {name}:main\n",
    }
    files[f"{info}/RECORD"] = "".join(f"{path},,\n" for path in files) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(folder / f"{name}-1.0-py3-none-any.whl", "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)


def flow(wheels: Path, packages: str) -> str:
    return f"""\
id: tools
namespace: company.team
tasks:
  - id: run_tool
    type: io.kestra.plugin.scripts.python.Commands
    beforeCommands:
      - pip install --no-index --find-links={wheels} {packages}
    commands:
      - hellotool
      - python -c "import hellotool"
"""


def fixed_lines(text: str) -> tuple[str, dict[str, str]]:
    """The fixed task's shell script (beforeCommands and commands joined, as Kestra joins
    them) and its env."""
    run = fix_source(Source.from_text("tools.yaml", text),
                     Settings(frozenset({"FL001"}),
                              fix=FixOptions(strategy="working-dir-cache")), unsafe=True)
    assert run.applied, run.failed
    task = YAML(typ="safe").load(run.text)["tasks"][0]["tasks"][0]
    return "\n".join(task["beforeCommands"] + task["commands"]), task.get("env", {})


@pytest.fixture()
def tools(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Wheels, a bin folder whose pip and python are this interpreter's, and a log of pip."""
    wheels, bin_dir = tmp_path / "wheels", tmp_path / "bin"
    wheels.mkdir()
    bin_dir.mkdir()
    build_wheel(wheels, "hellotool")
    build_wheel(wheels, "othertool")
    log = tmp_path / "pip.log"
    (bin_dir / "pip").write_text(f'#!/bin/sh\necho "$@" >> {log}\n'
                                 f'exec {sys.executable} -m pip -q "$@"\n')
    (bin_dir / "python").write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    for program in ("pip", "python"):
        (bin_dir / program).chmod(0o755)
    return wheels, bin_dir, log


def run_task(script: str, env: dict[str, str], workdir: Path, bin_dir: Path
             ) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(workdir), **env,
                   "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_CACHE_DIR": "1"}
    return subprocess.run(["/bin/sh", "-c", script], cwd=workdir, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_the_program_runs_the_import_works_and_the_cache_notices_a_new_list(
        tmp_path: Path, tools) -> None:
    wheels, bin_dir, log = tools
    workdir = tmp_path / "workdir"
    workdir.mkdir()
    script, env = fixed_lines(flow(wheels, "hellotool"))
    assert env == {"PYTHONPATH": "deps"}

    first = run_task(script, env, workdir, bin_dir)
    assert first.returncode == 0, first.stderr
    assert "hellotool ran" in first.stdout
    assert log.read_text().count("install") == 1

    # The next execution: Kestra restores the cached folder, which holds the same list,
    # without file modes (docs/kestra.md §6): the program must be made executable again.
    for path in (workdir / "deps").rglob("*"):
        if path.is_file():
            path.chmod(0o644)
    second = run_task(script, env, workdir, bin_dir)
    assert second.returncode == 0 and "hellotool ran" in second.stdout
    assert log.read_text().count("install") == 1, "a cache hit installed again"

    # The user adds a package to the list: the restored folder no longer matches it.
    edited = script.replace("hellotool &&", "hellotool othertool &&", 1)
    assert edited != script
    third = run_task(edited + '\npython -c "import othertool"', env, workdir, bin_dir)
    assert third.returncode == 0, third.stderr
    assert log.read_text().count("install") == 2
    assert sorted(path.name for path in (workdir / "deps").glob("*.dist-info")) == [
        "hellotool-1.0.dist-info", "othertool-1.0.dist-info"]


def test_without_the_path_line_the_program_would_not_be_found(tmp_path: Path, tools) -> None:
    """What the fix guards against: `--target` leaves console scripts in deps/bin."""
    wheels, bin_dir, _ = tools
    workdir = tmp_path / "workdir"
    workdir.mkdir()
    script, env = fixed_lines(flow(wheels, "hellotool"))
    assert script.startswith('export PATH="$PWD/deps/bin:$PATH" && ')
    plain = script.removeprefix('export PATH="$PWD/deps/bin:$PATH" && ')
    result = run_task(plain, env, workdir, bin_dir)
    assert "hellotool: not found" in result.stderr and "hellotool ran" not in result.stdout
    assert os.access(workdir / "deps" / "bin" / "hellotool", os.X_OK)
