"""The pre-commit hooks, run by real pre-commit against this checkout (`try-repo`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import PANDAS_FLOW, REPO

pytestmark = pytest.mark.slow


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def try_repo(cwd: Path, hook: str) -> subprocess.CompletedProcess[str]:
    pre_commit = shutil.which("pre-commit", path=os.path.dirname(sys.executable)) or "pre-commit"
    env = {**os.environ, "PRE_COMMIT_HOME": str(cwd.parent / "pre-commit-home")}
    return subprocess.run([pre_commit, "try-repo", str(REPO), hook, "--all-files"], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.skipif(not (REPO / ".git").exists(), reason="try-repo needs the git checkout")
def test_check_hook_fails_fix_hook_fixes_then_both_pass(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "flows").mkdir(parents=True)
    flow = project / "flows" / "etl.yaml"
    flow.write_text(PANDAS_FLOW)
    (project / "docker-compose.yml").write_text("services:\n  kestra:\n    image: kestra\n")
    git(project, "init", "-q")
    git(project, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".")

    checked = try_repo(project, "flowlint")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "FL001" in checked.stdout

    fixed = try_repo(project, "flowlint-fix")
    assert fixed.returncode == 1, fixed.stdout + fixed.stderr   # files were modified
    assert "dependencies:\n      - pandas" in flow.read_text()
    git(project, "add", ".")

    for hook in ("flowlint", "flowlint-fix"):
        again = try_repo(project, hook)
        assert again.returncode == 0, again.stdout + again.stderr
