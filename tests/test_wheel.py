"""The wheel carries the rule catalogue: build it, install it in a fresh venv, list rules."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from helpers import REPO

pytestmark = pytest.mark.slow


def test_wheel_ships_the_catalogue(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                    str(dist), str(REPO)], check=True, capture_output=True)
    (wheel,) = dist.glob("kestra_flowlint-*.whl")   # the distribution name
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                    str(wheel)], check=True, capture_output=True)
    # Then the dependencies come from the test environment through a .pth file (no network).
    # Written after the install, or pip would see the test environment's flowlint and skip
    # it; the venv's own site-packages come first, so flowlint is imported from the wheel.
    purelib = subprocess.run([str(python), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    listing = subprocess.run([str(env_dir / "bin" / "flowlint"), "rules"], cwd=tmp_path,
                             capture_output=True, text=True, check=True)
    assert "FL001  pip-install-per-execution" in listing.stdout
    where = subprocess.run([str(python), "-c", "import flowlint.catalogue as c; "
                            "print(c.rules_dir())"], cwd=tmp_path, capture_output=True,
                           text=True, check=True)
    assert where.stdout.startswith(str(env_dir)) and "_rules" in where.stdout
    # The packages' metadata is data inside the package: the programs dbt-duckdb brings.
    programs = subprocess.run([str(python), "-c", "from flowlint.lang import distributions as d; "
                               "print(d.programs_of(['dbt-duckdb'])['dbt'])"], cwd=tmp_path,
                              capture_output=True, text=True, check=True)
    assert programs.stdout.strip() == "dbt-core"
