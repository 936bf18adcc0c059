"""The example project (examples/) and the output README.md shows for it.

README.md starts with `pip install . && flowlint check examples/`, and its first ```text block
is a terminal transcript: each line that starts with `$ ` is a command, and the lines after it,
up to the next `$ ` line or the closing fence, are everything the command prints (standard
output and standard error, in the order a terminal shows them). The first command of that
block must be `flowlint check examples/`. Each command of the block is run here, from the
repository root as a user runs it after the first install command, and its output must equal
the text in the README exactly, so the README cannot drift from what flowlint prints. After a
change to flowlint's messages or to examples/, regenerate the block with the commands it shows
(`python tests/readme_transcript.py`). A diff in the block has context lines that are a single
space: keep them (an editor that strips trailing whitespace breaks the comparison).

Output does not depend on the terminal: flowlint writes no colours and wraps nothing. The
only environment variable it reads is GITHUB_ACTIONS (it switches the default format to
`github`), which is removed here, so the test gives the same answer on CI.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
README = REPO / "README.md"
CHECK_COMMAND = "flowlint check examples/"
FLOW_FILES = sorted((EXAMPLES / "flows").rglob("*.yml"))


def readme_transcript() -> list[tuple[str, str]]:
    """(command, output) pairs of the first ```text block of README.md."""
    lines = README.read_text(encoding="utf-8").split("\n")
    start = lines.index("```text") + 1
    end = lines.index("```", start)
    sessions: list[tuple[str, list[str]]] = []
    for line in lines[start:end]:
        if line.startswith("$ "):
            sessions.append((line[2:], []))
        else:
            assert sessions, f"README.md: the ```text block must start with a `$ ` line: {line!r}"
            sessions[-1][1].append(line)
    return [(command, "".join(line + "\n" for line in output)) for command, output in sessions]


def run_flowlint(command: str, cwd: Path = REPO) -> tuple[int, str]:
    """Run a `flowlint ...` command line as a user would, stderr merged into stdout."""
    words = shlex.split(command)
    assert words[0] == "flowlint", command
    env = {key: value for key, value in os.environ.items() if key != "GITHUB_ACTIONS"}
    env.update(NO_COLOR="1", TERM="dumb", COLUMNS="80", PYTHONUNBUFFERED="1",
               PYTHONIOENCODING="utf-8")
    done = subprocess.run([sys.executable, "-m", "flowlint", *words[1:]], cwd=cwd, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          encoding="utf-8", timeout=120, check=False)
    return done.returncode, done.stdout


def test_readme_shows_the_check_of_examples_first() -> None:
    transcript = readme_transcript()
    assert transcript and transcript[0][0] == CHECK_COMMAND
    top = README.read_text(encoding="utf-8").split("\n## ", 1)[0]
    assert f"pip install . && {CHECK_COMMAND}\n" in top


def test_check_examples_prints_what_the_readme_shows() -> None:
    shown = readme_transcript()[0][1]
    code, output = run_flowlint(CHECK_COMMAND)
    assert output == shown
    assert code == 1


@pytest.mark.parametrize("command, shown", readme_transcript()[1:],
                         ids=[command for command, _ in readme_transcript()[1:]])
def test_other_readme_commands_print_what_the_readme_shows(command: str, shown: str) -> None:
    code, output = run_flowlint(command)
    assert output == shown
    assert code in (0, 1)


def test_the_examples_are_a_realistic_project() -> None:
    assert 5 <= len(FLOW_FILES) <= 8
    yaml = YAML(typ="safe", pure=True)
    for path in FLOW_FILES:
        documents = list(yaml.load_all(path.read_text(encoding="utf-8")))
        assert len(documents) == 1, path
        flow = documents[0]
        assert {"id", "namespace", "tasks"} <= set(flow), path
        # Kestra's layout: a folder per namespace, a file per flow id.
        assert (flow["namespace"], flow["id"]) == (path.parent.name, path.stem), path


def test_the_docker_compose_file_is_not_a_flow_and_raises_nothing() -> None:
    compose = EXAMPLES / "docker-compose.yml"
    assert YAML(typ="safe", pure=True).load(compose.read_text(encoding="utf-8"))["services"]
    code, output = run_flowlint("flowlint check --no-cache -v examples/docker-compose.yml")
    assert code == 0
    assert output == ("examples/docker-compose.yml: skipped 1 YAML document(s) that are not "
                      "Kestra flows (no id, namespace and tasks)\n"
                      "All checks passed (1 file(s) checked).\n")


def _findings(folder: Path) -> list[dict]:
    code, output = run_flowlint("flowlint check --no-cache --format json examples/", folder)
    assert code in (0, 1), output
    return json.loads(output)["findings"]


def _tasks(node: object) -> Iterator[dict]:
    """Every task, trigger or other plugin mapping (an `id` and a `type`), at any depth."""
    if isinstance(node, dict):
        if "id" in node and "type" in node:
            yield node
        for value in node.values():
            yield from _tasks(value)
    elif isinstance(node, list):
        for value in node:
            yield from _tasks(value)


def _masked(node: object, ids: set[str]) -> object:
    """The data with each task whose id is in `ids` replaced by its id alone."""
    if isinstance(node, dict):
        if node.get("id") in ids and "type" in node:
            return {"fixed task": node["id"]}
        return {key: _masked(value, ids) for key, value in node.items()}
    if isinstance(node, list):
        return [_masked(value, ids) for value in node]
    return node


def test_fix_of_a_copy_changes_only_the_fixable_tasks(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    before = _findings(tmp_path)
    fixable: dict[str, set[str]] = {}
    for finding in before:
        fix = finding["fix"]
        if fix is not None and fix["applicable"] and fix["safe"]:
            fixable.setdefault(finding["path"], set()).add(finding["task_id"])
    assert fixable, "the examples must show at least one safe fix"

    code, output = run_flowlint("flowlint check --no-cache --fix examples/", tmp_path)
    assert code == 1, output   # findings without a safe fix remain
    yaml = YAML(typ="safe", pure=True)
    changed = set()
    for original in sorted(EXAMPLES.rglob("*.y*ml")):
        relative = original.relative_to(REPO).as_posix()
        fixed = tmp_path / relative
        if fixed.read_bytes() == original.read_bytes():
            continue
        changed.add(relative)
        assert relative in fixable, f"{relative} changed but has no safe fix"
        old = yaml.load(original.read_text(encoding="utf-8"))
        new = yaml.load(fixed.read_text(encoding="utf-8"))
        assert _masked(new, fixable[relative]) == _masked(old, fixable[relative]), relative
        assert {task["id"] for task in _tasks(new)} == {task["id"] for task in _tasks(old)}
    assert changed == set(fixable)

    after = _findings(tmp_path)
    assert len(after) < len(before)
    fixed_findings = {(finding["path"], finding["task_id"], finding["rule"])
                      for finding in before if finding["fix"] and finding["fix"]["safe"]
                      and finding["fix"]["applicable"]}
    assert not fixed_findings & {(finding["path"], finding["task_id"], finding["rule"])
                                 for finding in after}
    # Fixing again changes nothing.
    snapshot = {path: path.read_bytes() for path in (tmp_path / "examples").rglob("*.y*ml")}
    run_flowlint("flowlint check --no-cache --fix examples/", tmp_path)
    assert {path: path.read_bytes() for path in snapshot} == snapshot
