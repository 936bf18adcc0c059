"""Show how flowlint's cost grows with the size of hostile flows, four sizes of each shape.

    python benchmarks/growth.py [--quick] [--shape NAME] [--repeat 3]

flowlint checks files written by people it should not trust, so no stage may be quadratic in
the file's size. For each hostile shape below this script writes one flow at four sizes (N, 2N,
4N, 8N) into a temporary folder, runs `flowlint check --no-cache --format json` on it as a
child process (median wall time of --repeat runs, peak memory from os.wait4, bytes of output),
and, where fixes apply, the fix path too (`flowlint check --no-cache --diff`). The growth
column is the ratio of a size's median time to the previous size's: about 2 is linear (the
size doubled), anything at or above 3 is flagged as super-linear.

Shapes:
  tasks           N tasks, each installing the same package (FL001 on each, FL011 on all but one)
  shell-quoted    one double-quoted `pip install p0 ... pN` line of N words
  shell-plain     the same line as a plain scalar
  shell-block     the same line in a literal `|` block scalar
  shell-folded    the same install folded (`>-`) over N/8 lines
  shell-lines     one task whose beforeCommands are N separate `pip install` lines
  script          a Python `script: |` of N lines: imports and subprocess pip calls (FL003, FL010)
  plugin-defaults N pluginDefaults entries, and tasks they apply to
  pebble          N Pebble expressions in one install line and N Log tasks of them
  suppressions    N tasks each with a `# flowlint: ignore` that suppresses nothing (FL900)
  nested          N tasks nested N/4 deep in If and Sequential tasks, all installing one package

Exit status 1 when a shape grew super-linearly or a run failed (exit status other than 0/1).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SUPER_LINEAR = 3.0
HEADER = "id: growth\nnamespace: bench.growth\n\n"


# --------------------------------------------------------------------------------------------
# The hostile shapes: each a function of N giving the text of one flow.
# --------------------------------------------------------------------------------------------


def many_tasks(n: int) -> str:
    out = [HEADER, "tasks:\n"]
    for i in range(n):
        out.append(f"  - id: task_{i}\n"
                   "    type: io.kestra.plugin.scripts.python.Commands\n"
                   "    containerImage: python:3.12-slim\n"
                   "    beforeCommands:\n"
                   "      - pip install pandas==2.2.3\n"
                   "    commands:\n"
                   f"      - python step_{i}.py\n")
    return "".join(out)


def _words(n: int) -> str:
    return " ".join(f"p{i}" for i in range(n))


def _one_task(before: str) -> str:
    return (HEADER + "tasks:\n"
            "  - id: install\n"
            "    type: io.kestra.plugin.scripts.python.Commands\n"
            "    containerImage: python:3.12-slim\n"
            "    beforeCommands:\n"
            f"{before}"
            "    commands:\n"
            "      - python main.py\n")


def shell_quoted(n: int) -> str:
    return _one_task(f'      - "pip install {_words(n)}"\n')


def shell_plain(n: int) -> str:
    return _one_task(f"      - pip install {_words(n)}\n")


def shell_block(n: int) -> str:
    return _one_task(f"      - |\n        pip install {_words(n)}\n")


def shell_folded(n: int) -> str:
    lines = [" ".join(f"p{i}" for i in range(start, min(start + 8, n)))
             for start in range(0, n, 8)]
    body = "".join(f"        {line}\n" for line in lines)
    return _one_task(f"      - >-\n        pip install\n{body}")


def shell_lines(n: int) -> str:
    return _one_task("".join(f"      - pip install p{i}\n" for i in range(n)))


def script(n: int) -> str:
    lines = ["import subprocess", "import sys"]
    for i in range(n // 2):
        lines.append(f"import mod_{i}")
        lines.append(f'subprocess.run([sys.executable, "-m", "pip", "install", "pkg-{i}"])')
    body = "".join(f"      {line}\n" for line in lines)
    return (HEADER + "tasks:\n"
            "  - id: script\n"
            "    type: io.kestra.plugin.scripts.python.Script\n"
            "    containerImage: python:3.12-slim\n"
            f"    script: |\n{body}")


def plugin_defaults(n: int) -> str:
    out = [HEADER, "pluginDefaults:\n"]
    for i in range(n):
        out.append(f"  - type: io.kestra.plugin.scripts.python.Commands{'' if i % 2 else 'X'}\n"
                   f"    forced: {'true' if i % 3 == 0 else 'false'}\n"
                   "    values:\n"
                   "      containerImage: python:3.12-slim\n"
                   "      beforeCommands:\n"
                   f"        - pip install dep{i}\n")
    out.append("\ntasks:\n")
    for i in range(max(n // 8, 1)):
        out.append(f"  - id: task_{i}\n"
                   "    type: io.kestra.plugin.scripts.python.Commands\n"
                   "    commands:\n"
                   f"      - python step_{i}.py\n")
    return "".join(out)


def pebble(n: int) -> str:
    words = " ".join(f"{{{{ inputs.p{i} }}}}" for i in range(n // 2))
    out = [HEADER, "tasks:\n",
           ("  - id: install\n"
           "    type: io.kestra.plugin.scripts.python.Commands\n"
           "    containerImage: python:3.12-slim\n"
           "    beforeCommands:\n"
           f'      - "pip install {words} {{{{ unclosed"\n'
           "    commands:\n"
           "      - python main.py\n")]
    for i in range(n // 2):
        message = f"{{{{ outputs.install.vars['x{i}'] }}}} {{{{ secret('S{i}') }}}}"
        out.append(f"  - id: log_{i}\n"
                   "    type: io.kestra.plugin.core.log.Log\n"
                   f'    message: "{message}"\n')
    return "".join(out)


def suppressions(n: int) -> str:
    out = [HEADER, "tasks:\n"]
    for i in range(n):
        out.append(f"  # flowlint: ignore[FL002]\n"
                   f"  - id: task_{i}\n"
                   "    type: io.kestra.plugin.core.log.Log\n"
                   f"    message: step {i}  # flowlint: ignore[FL008]\n")
    return "".join(out)


def nested(n: int) -> str:
    """n leaf tasks spread over a nesting n/4 deep: every level an If (then/else) around a
    Sequential, each level holding installing tasks, so a cost per task proportional to its
    depth would show as quadratic."""
    depth = max(n // 4, 1)
    per_level = max(n // depth, 1)
    out = [HEADER, "tasks:\n"]
    ind = "  "
    for level in range(depth):
        for k in range(per_level):
            out.append(f"{ind}- id: leaf_{level}_{k}\n"
                       f"{ind}  type: io.kestra.plugin.scripts.python.Commands\n"
                       f"{ind}  containerImage: python:3.12-slim\n"
                       f"{ind}  beforeCommands: [pip install requests]\n"
                       f"{ind}  commands: [python run.py]\n")
        kind = "If" if level % 2 == 0 else "Sequential"
        out.append(f"{ind}- id: level_{level}\n"
                   f"{ind}  type: io.kestra.plugin.core.flow.{kind}\n")
        if kind == "If":
            out.append(f"{ind}  condition: \"{{{{ inputs.go }}}}\"\n{ind}  then:\n")
        else:
            out.append(f"{ind}  tasks:\n")
        ind += "    "
    out.append(f"{ind}- id: bottom\n{ind}  type: io.kestra.plugin.core.log.Log\n"
               f"{ind}  message: done\n")
    return "".join(out)


@dataclass(frozen=True)
class Shape:
    name: str
    make: Callable[[int], str]
    base: int  # N of the smallest of the four sizes
    quick: int  # N of the smallest with --quick
    fixes: bool  # whether --diff has fixes to make


SHAPES = [
    Shape("tasks", many_tasks, 500, 50, True),
    Shape("shell-quoted", shell_quoted, 2000, 500, True),
    Shape("shell-plain", shell_plain, 2000, 500, True),
    Shape("shell-block", shell_block, 2000, 500, True),
    Shape("shell-folded", shell_folded, 2000, 500, True),
    Shape("shell-lines", shell_lines, 500, 100, True),
    Shape("script", script, 1000, 100, True),
    Shape("plugin-defaults", plugin_defaults, 500, 100, False),
    Shape("pebble", pebble, 500, 100, False),
    Shape("suppressions", suppressions, 500, 100, True),
    Shape("nested", nested, 100, 20, True),
]


# --------------------------------------------------------------------------------------------
# Running flowlint on one file.
# --------------------------------------------------------------------------------------------


@dataclass
class Run:
    wall: float
    max_rss: int  # bytes: this child's peak (os.wait4), or its largest reaped child's
    out_bytes: int
    returncode: int
    stderr: str


def run_child(cmd: list[str], cwd: Path) -> Run:
    """Run cmd, its stdout to a temporary file (counted), and read its peak memory from wait4:
    getrusage(RUSAGE_CHILDREN) keeps the largest child ever reaped, so after a big size every
    smaller one would show the big one's memory."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out_bytes = out.seek(0, os.SEEK_END)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: kB on Linux, bytes on macOS
    return Run(wall, usage.ru_maxrss * scale, out_bytes, proc.returncode, stderr)


@dataclass
class Row:
    shape: str
    mode: str  # "check" or "diff"
    n: int
    size: int  # bytes of the flow
    seconds: float  # median
    peak: int  # bytes, largest over the runs
    out_bytes: int
    growth: float | None  # seconds / previous size's seconds
    error: str = ""


def measure(flowlint: str, shape: Shape, n: int, mode: str, folder: Path, repeat: int) -> Row:
    path = folder / f"{shape.name}-{n}.yml"
    if not path.exists():
        path.write_text(shape.make(n), encoding="utf-8")
    extra = ["--format", "json"] if mode == "check" else ["--diff"]
    cmd = [flowlint, "check", "--no-cache", "--isolated", *extra, path.name]
    runs = [run_child(cmd, folder) for _ in range(repeat)]
    error = ""
    bad = [r for r in runs if r.returncode not in (0, 1)]
    if bad:
        error = f"exit {bad[0].returncode}: {bad[0].stderr.strip().splitlines()[-1:]}"
    return Row(shape.name, mode, n, path.stat().st_size,
               statistics.median(r.wall for r in runs), max(r.max_rss for r in runs),
               runs[0].out_bytes, None, error)


def find_flowlint() -> str:
    """flowlint from this interpreter's venv first, else whatever is on PATH."""
    beside = Path(sys.executable).parent / ("flowlint.exe" if os.name == "nt" else "flowlint")
    if beside.exists():
        return str(beside)
    found = shutil.which("flowlint")
    if not found:
        sys.exit("flowlint not found next to sys.executable or on PATH: pip install -e .")
    return found


def _size(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"


def print_row(row: Row) -> None:
    growth = "" if row.growth is None else f"{row.growth:5.2f}"
    flag = "  SUPER-LINEAR" if row.growth is not None and row.growth >= SUPER_LINEAR else ""
    print(f"{row.shape:<16} {row.mode:<5} {row.n:>7} {_size(row.size):>10} "
          f"{row.seconds:8.2f} {row.peak / 2**20:7.0f} {_size(row.out_bytes):>10} "
          f"{growth:>6}{flag}{'  ' + row.error if row.error else ''}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a quick look)")
    parser.add_argument("--shape", action="append", choices=[s.name for s in SHAPES],
                        help="only this shape (repeatable)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (median)")
    parser.add_argument("--sizes", type=int, default=4, help="sizes per shape, each double")
    parser.add_argument("--no-fix", action="store_true", help="skip the --diff runs")
    args = parser.parse_args(argv)
    flowlint = find_flowlint()
    shapes = [s for s in SHAPES if not args.shape or s.name in args.shape]
    print(f"flowlint: {flowlint}; median of {args.repeat}; growth = time / previous size's time "
          f"(2 is linear; >= {SUPER_LINEAR:g} flagged)\n")
    print(f"{'shape':<16} {'mode':<5} {'N':>7} {'file':>10} {'seconds':>8} {'MB':>7} "
          f"{'output':>10} {'growth':>6}")
    failed = False
    with tempfile.TemporaryDirectory(prefix="flowlint-growth-") as tmp:
        folder = Path(tmp)
        for shape in shapes:
            first = shape.quick if args.quick else shape.base
            sizes = [first * 2**k for k in range(args.sizes)]
            for mode in ["check", "diff"] if shape.fixes and not args.no_fix else ["check"]:
                previous = None
                for n in sizes:
                    row = measure(flowlint, shape, n, mode, folder, args.repeat)
                    if previous is not None and previous.seconds > 0:
                        row.growth = row.seconds / previous.seconds
                    print_row(row)
                    failed |= bool(row.error)
                    failed |= row.growth is not None and row.growth >= SUPER_LINEAR
                    previous = row
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
