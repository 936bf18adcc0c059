"""Measure flowlint's speed and memory against a parsing floor and yamllint, in one run.

    python benchmarks/run.py [--count 2000] [--big 20000] [--repeat 3] [--corpus DIR]

Generates synthetic Kestra flows (benchmarks/generate.py) into a temporary folder, runs every
command as a child process, and prints one table of wall times (median of --repeat runs), then
the ratios that flowlint's performance goals are stated in, each with PASS or FAIL.
See benchmarks/README.md for what each line measures and why.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate  # noqa: E402  (the sibling script, imported so both share one flow model)

CACHE_DIR_NAME = ".flowlint_cache"
SINGLE_RUNS = 20

# The floor: the least any YAML linter written in Python must do. One process, the same
# interpreter start-up, walks the folder like flowlint, reads and decodes each file, and builds
# the node tree with ruamel.yaml's C parser (libyaml). No rules, no reporting.
FLOOR_CODE = r"""
import os, sys
from ruamel.yaml import YAML
yaml = YAML(typ="safe", pure=False)
count = 0
for top in sys.argv[1:]:
    for folder, dirs, files in os.walk(top):
        dirs.sort()
        for name in sorted(files):
            if name.endswith((".yml", ".yaml")):
                with open(os.path.join(folder, name), "rb") as handle:
                    text = handle.read().decode("utf-8-sig")
                for _node in yaml.compose_all(text):
                    pass
                count += 1
print(count)
"""


# --------------------------------------------------------------------------------------------
# Running one child process and measuring it.
# --------------------------------------------------------------------------------------------


@dataclass
class Run:
    wall: float  # seconds, from spawn to reaped
    max_rss: int  # bytes, largest single process (wait4: the child or its largest reaped child)
    tree_rss: int  # bytes, largest sampled PSS sum over the child's process tree (0: not sampled)
    returncode: int
    stderr: str

    @property
    def peak(self) -> int:
        return max(self.max_rss, self.tree_rss)


def _memory_of(pid: int, page: int) -> int:
    """Proportional set size (shared pages split between their users), else RSS: summing
    plain RSS over forked workers would count the pages they share with the parent twice."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * page
    except OSError:
        return 0


def _memory_of_tree(root: int) -> int:
    """Memory of a process and all its descendants, from /proc (Linux only)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces: split after the last ')'.
        fields = stat[stat.rfind(b")") + 2:].split()
        parents[int(entry)] = int(fields[1])
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    page = os.sysconf("SC_PAGE_SIZE")
    return sum(_memory_of(pid, page) for pid in tree)


class TreeSampler(threading.Thread):
    """Polls the memory of a process tree: wait4 only reports the largest single process,
    which under-counts a run that fans out to worker processes."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                self.peak = max(self.peak, _memory_of_tree(self.pid))
            except (OSError, ValueError, IndexError):
                pass
            self.done.wait(self.interval)


def run_child(cmd: list[str], cwd: Path, env: dict[str, str], sample_tree: bool = False) -> Run:
    """Run cmd with stdout discarded; time it and read its peak memory from wait4.

    os.wait4 gives the rusage of exactly this child (RUSAGE_CHILDREN deltas would mix in
    every other child this script has reaped)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
        sampler = None
        if sample_tree and os.path.isdir("/proc"):
            sampler = TreeSampler(proc.pid)
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if sampler:
            sampler.done.set()
            sampler.join()
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return Run(wall, usage.ru_maxrss * scale, sampler.peak if sampler else 0,
               proc.returncode, stderr)


@dataclass
class Measure:
    """One line of the table: several runs of one command, or why there are none."""

    label: str
    runs: list[Run] = field(default_factory=list)
    files: int = 0
    note: str = ""  # shown in place of numbers when there are no runs, or after them
    error: str = ""  # a run exited with an unexpected code: its stderr tail, shown below the table

    @property
    def ok(self) -> bool:
        return bool(self.runs)

    @property
    def median(self) -> float:
        return statistics.median(run.wall for run in self.runs)

    @property
    def best(self) -> float:
        return min(run.wall for run in self.runs)

    @property
    def peak(self) -> int:
        return max(run.peak for run in self.runs)


def repeat(label: str, cmd: list[str], times: int, cwd: Path, env: dict[str, str],
           files: int, ok_codes: tuple[int, ...] = (0,), before=None, note: str = "",
           sample_tree: bool = False) -> Measure:
    """Run cmd `times` times (calling `before()` untimed ahead of each run).

    A run that exits with an unexpected code is still timed (flowlint reports internal errors
    per file and goes on), but flagged, with its stderr shown below the table."""
    measure = Measure(label, files=files, note=note)
    for _ in range(times):
        if before:
            before()
        run = run_child(cmd, cwd, env, sample_tree)
        if run.returncode not in ok_codes and not measure.error:
            lines = run.stderr.strip().splitlines()
            shown = lines if len(lines) <= 5 else lines[:3] + ["..."] + lines[-1:]
            measure.error = f"exit {run.returncode}, {len(lines)} stderr lines:\n    " + \
                "\n    ".join(line[:200] for line in shown)
        measure.runs.append(run)
    return measure


# --------------------------------------------------------------------------------------------
# What the installed flowlint supports.
# --------------------------------------------------------------------------------------------


@dataclass
class Features:
    jobs: bool
    no_cache: bool
    clean: bool
    fix: bool
    diff: bool
    version: str


def find_flowlint() -> str:
    """flowlint from the same venv as this interpreter first, so the floor and flowlint share
    one Python; else whatever is on PATH."""
    beside = Path(sys.executable).parent / ("flowlint.exe" if os.name == "nt" else "flowlint")
    if beside.exists():
        return str(beside)
    found = shutil.which("flowlint")
    if not found:
        sys.exit("flowlint not found next to sys.executable or on PATH: pip install -e .")
    return found


def _help(cmd: list[str]) -> str:
    result = subprocess.run(cmd, capture_output=True, text=True)
    return result.stdout + result.stderr


def detect(flowlint: str) -> Features:
    top = _help([flowlint, "--help"])
    check = _help([flowlint, "check", "--help"])
    version = _help([flowlint, "--version"]).strip()

    def has(option: str) -> bool:
        return re.search(rf"(^|[\s,/]){re.escape(option)}\b", check, re.M) is not None

    return Features(jobs=has("--jobs"), no_cache=has("--no-cache"),
                    clean=re.search(r"^\s+clean\b", top, re.M) is not None,
                    fix=has("--fix"), diff=has("--diff"), version=version)


# --------------------------------------------------------------------------------------------
# The benchmark.
# --------------------------------------------------------------------------------------------


@dataclass
class Corpus:
    path: Path
    files: int
    lines: int
    size: int


def describe(path: Path) -> Corpus:
    files = lines = size = 0
    for item in path.rglob("*"):
        if item.suffix in (".yml", ".yaml") and item.is_file() and CACHE_DIR_NAME not in item.parts:
            data = item.read_bytes()
            files, lines, size = files + 1, lines + data.count(b"\n"), size + len(data)
    return Corpus(path, files, lines, size)


def single_flow(folder: Path, seed: int) -> Path:
    """A generated flow of about 80 lines (the first index whose size lands in 70..90)."""
    for index in range(10_000):
        flow = generate.make_flow(seed, index, lines=80)
        if 70 <= flow.text.count("\n") <= 90:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / "one-flow.yaml"
            path.write_bytes(flow.data())
            return path
    raise RuntimeError("no ~80 line flow generated")


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.flowlint = find_flowlint()
        self.features = detect(self.flowlint)
        # A private XDG cache home, so a user-level cache would be ours to clear too.
        self.env = dict(os.environ, NO_COLOR="1", XDG_CACHE_HOME=str(workdir / "xdg-cache"))
        # An installed wheel comes with compiled bytecode: measure that, not recompiling
        # every module at every start because the environment forbids writing .pyc files.
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)

    # ---- cache handling ----

    def cache_dirs(self, corpus: Path) -> list[Path]:
        # Where a cache can land: the working folder of the runs, the checked folder, and the
        # private XDG cache home. Nothing above them: that could be a real project's cache.
        return [self.workdir / CACHE_DIR_NAME, corpus / CACHE_DIR_NAME,
                self.workdir / "xdg-cache" / "flowlint"]

    def cache_exists(self, corpus: Path) -> bool:
        return any(path.exists() for path in self.cache_dirs(corpus))

    def clear_cache(self, corpus: Path) -> None:
        if self.features.clean:
            subprocess.run([self.flowlint, "clean"], cwd=self.workdir, env=self.env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for path in self.cache_dirs(corpus):
            shutil.rmtree(path, ignore_errors=True)

    # ---- the measurements ----

    def check_cmd(self, *extra: str) -> list[str]:
        return [self.flowlint, "check", "--exit-zero", *extra]

    def floor(self, corpus: Corpus) -> Measure:
        return repeat("1 floor: read + ruamel C compose", [sys.executable, "-c", FLOOR_CODE,
                      str(corpus.path)], self.args.repeat, self.workdir, self.env, corpus.files)

    def cold_args(self, one_process: bool = False) -> list[str]:
        extra = ["--jobs", "1"] if self.features.jobs and one_process else []
        return extra + (["--no-cache"] if self.features.no_cache else [])

    def cold(self, corpus: Corpus, one_process: bool = False) -> Measure:
        # The goal is about flowlint as users run it (default --jobs); the one-process line
        # shows the work per file without parallelism.
        extra = self.cold_args(one_process)
        name = "2b flowlint check, cold, one process" if one_process else \
            "2 flowlint check, cold"
        label = name + (f" ({' '.join(extra)})" if extra else "")
        note = "" if self.features.jobs else "no --jobs option: one process anyway"
        return repeat(label, self.check_cmd(*extra, str(corpus.path)), self.args.repeat,
                      self.workdir, self.env, corpus.files,
                      before=lambda: self.clear_cache(corpus.path), note=note)

    def warm(self, corpus: Corpus) -> Measure:
        label = "3 flowlint check, warm cache"
        cmd = self.check_cmd(str(corpus.path))
        # Prime: clear, then one untimed run that may write a cache.
        self.clear_cache(corpus.path)
        run_child(cmd, self.workdir, self.env)
        if not (self.cache_exists(corpus.path) or self.features.no_cache or self.features.clean):
            return Measure(label, note="n/a (no cache)")
        return repeat(label, cmd, self.args.repeat, self.workdir, self.env, corpus.files)

    def fix(self, corpus: Corpus) -> Measure:
        if not self.features.fix:
            return Measure("4 flowlint check --fix", note="n/a (no --fix option)")
        extra = ["--fix", "--diff"] if self.features.diff else ["--fix"]
        jobs = ["--jobs", "1"] if self.features.jobs else []
        copy = self.workdir / "fix-copy"

        def fresh_copy() -> None:
            # Always on a copy, even with --diff: a run that writes must not alter the corpus
            # the other lines measure. The copy is made outside the timed part.
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(corpus.path, copy, ignore=shutil.ignore_patterns(CACHE_DIR_NAME))
            self.clear_cache(copy)

        # --diff exits 1 when it would change something, even with --exit-zero (like ruff).
        return repeat(f"4 flowlint check {' '.join(extra)}",
                      self.check_cmd(*jobs, *extra, str(copy)), self.args.repeat,
                      self.workdir, self.env, corpus.files, ok_codes=(0, 1),
                      before=fresh_copy, note="on a copy")

    def yamllint(self, corpus: Corpus) -> Measure:
        label = "5 yamllint -f parsable (default config)"
        beside = Path(sys.executable).parent / "yamllint"
        exe = str(beside) if beside.exists() else shutil.which("yamllint")
        if not exe:
            return Measure(label, note="not installed: pip install yamllint")
        # yamllint exits 1 when it finds problems, which it will (line length, truthy, ...).
        return repeat(label, [exe, "-f", "parsable", str(corpus.path)], self.args.repeat,
                      self.workdir, self.env, corpus.files, ok_codes=(0, 1))

    def single(self) -> Measure:
        path = single_flow(self.workdir / "single", self.args.seed)
        lines = path.read_bytes().count(b"\n")
        # Default options, as an editor or pre-commit runs it: with a cache, the first run is
        # cold and the others find their result cached. Exit 1 is normal: it may have findings.
        return repeat(f"6 flowlint check one-flow.yaml ({lines} lines)",
                      [self.flowlint, "check", str(path)], SINGLE_RUNS, self.workdir, self.env,
                      1, ok_codes=(0, 1), note=f"median of {SINGLE_RUNS}, default options")

    def single_side_by_side(self) -> tuple[Measure, Measure]:
        """flowlint --no-cache and yamllint on the same flow, in turn (A B A B ...), so both
        see the same machine load."""
        path = single_flow(self.workdir / "single", self.args.seed)
        beside = Path(sys.executable).parent / "yamllint"
        exe = str(beside) if beside.exists() else shutil.which("yamllint")
        flowlint = Measure("6b flowlint check --no-cache one-flow.yaml", files=1,
                           note=f"median of {SINGLE_RUNS}, in turn with 6c")
        yamllint = Measure("6c yamllint one-flow.yaml", files=1)
        if not exe:
            yamllint.note = "not installed: pip install yamllint"
        for _ in range(SINGLE_RUNS):
            flowlint.runs.append(run_child([self.flowlint, "check", "--no-cache", str(path)],
                                           self.workdir, self.env))
            if exe:
                yamllint.runs.append(run_child([exe, str(path)], self.workdir, self.env))
        return flowlint, yamllint

    def memory(self, corpus: Corpus) -> Measure:
        # flowlint as a user runs it (default jobs), cold: the largest working set.
        self.clear_cache(corpus.path)
        jobs = f"--jobs {os.cpu_count()} (default)" if self.features.jobs else "one process"
        measure = repeat(f"7 flowlint check, {corpus.files:,} flows (memory)",
                         self.check_cmd(str(corpus.path)), 1, self.workdir, self.env,
                         corpus.files, sample_tree=True)
        if measure.runs:
            run = measure.runs[0]
            measure.note = (f"one run, {jobs}; largest process {mb(run.max_rss)}, "
                            f"process tree {mb(run.tree_rss)} (PSS, sampled)")
        self.clear_cache(corpus.path)
        return measure


# --------------------------------------------------------------------------------------------
# Output.
# --------------------------------------------------------------------------------------------


def load() -> str:
    try:
        return ", ".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def mb(size: int) -> str:
    return f"{size / 1e6:,.0f} MB"


def print_table(measures: list[Measure], floor: Measure) -> None:
    head = (f"{'measurement':<48} {'files':>6} {'median':>9} {'min':>9} {'ms/file':>8} "
            f"{'peak mem':>9} {'x floor':>8}")
    print(head)
    print("-" * len(head))
    for m in measures:
        if not m.ok:
            print(f"{m.label:<48} {m.files or '':>6} {m.note}")
            continue
        ratio = f"{m.median / floor.median:.2f}x" if floor.ok and m.files == floor.files else ""
        per_file = f"{1000 * m.median / m.files:.2f}" if m.files else ""
        note = "  ".join(filter(None, ["" if not m.error else "(!) unexpected exit", m.note]))
        note = f"  {note}" if note else ""
        print(f"{m.label:<48} {m.files:>6} {m.median:>8.3f}s {m.best:>8.3f}s {per_file:>8} "
              f"{mb(m.peak):>9} {ratio:>8}{note}")
    for m in measures:
        if m.error:
            print(f"\n(!) {m.label}: {m.error}")


def goal_line(name: str, value: float | None, shown: str, target: str, passed: bool | None) -> None:
    result = "n/a" if value is None else ("PASS" if passed else "FAIL")
    print(f"{name:<34} {shown if value is not None else '-':>12} {target:>10}   {result}")


def print_goals(floor: Measure, cold: Measure, warm: Measure, yamllint: Measure,
                single: Measure, memory: Measure, single_cold: Measure,
                single_yamllint: Measure) -> None:
    print(f"{'goal':<34} {'value':>12} {'target':>10}   result")

    def ratio(a: Measure, b: Measure) -> float | None:
        return a.median / b.median if a.ok and b.ok else None

    r = ratio(cold, floor)
    goal_line("cold / floor", r, f"{r:.2f}" if r else "", "< 1.0", r is not None and r < 1.0)
    r = ratio(yamllint, cold)
    goal_line("yamllint / cold", r, f"{r:.1f}" if r else "", ">= 10", r is not None and r >= 10)
    r = ratio(warm, cold)
    goal_line("warm / cold", r, f"{r:.2f}" if r else "", "<= 0.1", r is not None and r <= 0.1)
    s = single.median * 1000 if single.ok else None
    goal_line("single flow", s, f"{s:.0f} ms" if s else "", "< 100 ms", s is not None and s < 100)
    r = ratio(single_cold, single_yamllint)
    goal_line("single --no-cache / yamllint", r, f"{r:.2f}" if r else "", "< 1.0",
              r is not None and r < 1.0)
    p = memory.peak / 1e6 if memory.ok else None
    goal_line(f"peak memory ({memory.files:,} flows)" if memory.files else "peak memory", p,
              f"{p:.0f} MB" if p else "", "< 300 MB", p is not None and p < 300)


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="flows in the timed corpus")
    parser.add_argument("--big", type=int, default=20000,
                        help="flows in the memory corpus (0: skip the memory line)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per line (median shown)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--corpus", type=Path, help="use this folder instead of generating flows")
    parser.add_argument("--lines", type=int, default=None,
                        help="generate flows of about this many lines (e.g. 40) instead of "
                             "the size mix of real flows")
    parser.add_argument("--keep", action="store_true", help="keep the generated folder")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="flowlint-bench-"))
    try:
        bench = Bench(args, workdir)
        started = time.perf_counter()
        if args.corpus:
            corpus = describe(args.corpus.resolve())
        else:
            generate.generate(workdir / "corpus", args.count, args.seed, args.lines)
            corpus = describe(workdir / "corpus")
        big = None
        if args.big:
            generate.generate(workdir / "big", args.big, args.seed)
            big = describe(workdir / "big")
        generated = time.perf_counter() - started

        f = bench.features
        print(f"flowlint  {f.version}  ({bench.flowlint})")
        print(f"python    {platform.python_version()}  ({sys.executable}), {os.cpu_count()} CPUs, "
              f"{platform.system()} {platform.machine()}")
        print(f"options   --jobs: {f.jobs}  --no-cache: {f.no_cache}  clean: {f.clean}  "
              f"--fix: {f.fix}  --diff: {f.diff}")
        print(f"corpus    {corpus.files:,} files, {corpus.lines:,} lines, "
              f"{corpus.size / 1e6:.1f} MB  ({corpus.path})")
        if big:
            print(f"big       {big.files:,} files, {big.lines:,} lines, {big.size / 1e6:.1f} MB")
        print(f"generated in {generated:.1f}s; median of {args.repeat} runs per line")
        # Wall times are only comparable on an otherwise idle machine: show how busy it is.
        print(f"load      {load()} (1, 5, 15 min) at start\n")

        # Untimed warm-up: interpreter, libraries and the corpus into the OS page cache.
        run_child([sys.executable, "-c", FLOOR_CODE, str(corpus.path)], workdir, bench.env)
        run_child([bench.flowlint, "--version"], workdir, bench.env)

        # Start-up costs, to read the single-flow line against: how much of it is the
        # interpreter and flowlint's imports rather than checking.
        python_start = repeat("python -c pass", [sys.executable, "-c", "pass"], 10, workdir,
                              bench.env, 0)
        flowlint_start = repeat("flowlint --version", [bench.flowlint, "--version"], 10, workdir,
                                bench.env, 0)
        print(f"start-up  python -c pass {python_start.median * 1000:.0f} ms, "
              f"flowlint --version {flowlint_start.median * 1000:.0f} ms (median of 10)\n")

        floor = bench.floor(corpus)
        cold = bench.cold(corpus)
        cold_one = bench.cold(corpus, one_process=True)
        warm = bench.warm(corpus)
        fix = bench.fix(corpus)
        yamllint = bench.yamllint(corpus)
        single = bench.single()
        single_cold, single_yamllint = bench.single_side_by_side()
        memory = bench.memory(big) if big else Measure("7 peak memory", note="skipped (--big 0)")

        print_table([floor, cold, cold_one, warm, fix, yamllint, single, single_cold,
                     single_yamllint, memory], floor)
        print()
        print_goals(floor, cold, warm, yamllint, single, memory, single_cold, single_yamllint)
        print(f"\ntotal {time.perf_counter() - started:.0f}s, load {load()} at the end")
        if args.keep:
            print(f"kept {workdir}")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
