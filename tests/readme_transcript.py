"""Regenerates the README's first ```text block (the transcript tests/test_examples.py checks):

    python tests/readme_transcript.py

Each `$ ` command of the block is run from the repository root, as the test runs it, and its
output replaces the lines after it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"


def run(command: str) -> str:
    argv = shlex.split(command.removesuffix(" 2>&1"))
    assert argv[0] == "flowlint", command
    env = {key: value for key, value in os.environ.items() if key != "GITHUB_ACTIONS"}
    done = subprocess.run([sys.executable, "-m", "flowlint", *argv[1:]], cwd=REPO, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return done.stdout


def main() -> int:
    lines = README.read_text(encoding="utf-8").split("\n")
    start = lines.index("```text") + 1
    end = lines.index("```", start)
    block: list[str] = []
    for line in lines[start:end]:
        if line.startswith("$ "):
            block.append(line)
            block.extend(run(line[2:]).rstrip("\n").split("\n"))
    README.write_text("\n".join([*lines[:start], *block, *lines[end:]]), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
