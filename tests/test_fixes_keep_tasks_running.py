"""After all the fixes of a file, every task still runs what it ran: over every fixture and
over the realistic flows benchmarks/generate.py writes, with every strategy.

Each fix is verified on its own when it is applied (flowlint.run.still_runs); this test checks
the end result of the whole fix loop against the original file, independently: the model of
what each task runs (flowlint.facts.task_run) is built on the original text and on the final
text, and no program or import that resolved before may stop resolving, no command the task
ran may disappear (except the installs the fixes moved), and each task runs in the image its
fixes meant.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

from flowlint.catalogue import load_catalogue
from flowlint.facts.task_run import TaskRun, lost_since, task_run
from flowlint.findings import WORKER, Finding
from flowlint.lang import distributions
from flowlint.lint import CheckedSource, Settings, check_flows
from flowlint.remedies.fix_options import STRATEGIES, FixOptions
from flowlint.run.fix_loop import FixRun, fix_source
from flowlint.source import Source, decode

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
GENERATED_FLOWS = 400
# The commands a fix may take out of a task: the installs it moves elsewhere, and the
# activation of the virtual environment those installs went into.
REMOVABLE_PROGRAMS = {".", "source", "deactivate", "pip", "pip3", "uv", "python", "python3", "apt-get", "apt", "apk", "npm", "pnpm",
              "yarn", "conda", "mamba", "micromamba", "Rscript", "R", "julia", "poetry",
              "pipx", "sudo", "env", "gem", "cargo", "go", "brew", "dnf", "yum", "microdnf"}


def _settings(strategy: str) -> Settings:
    return Settings(frozenset(load_catalogue()), (1, 0), {},
                    fix=FixOptions(strategy=strategy,
                                   image="registry.example.com/{namespace}/{flow}-{task}:1.0"))


def _generator():
    spec = importlib.util.spec_from_file_location("bench_generate",
                                                  ROOT / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module     # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def _fixture_sources() -> list[Source]:
    paths = sorted(path for path in FIXTURES.rglob("*.y*ml") if ".fixed." not in path.name)
    return [decode(path.read_bytes(), str(path.relative_to(ROOT))) for path in paths]


def _generated_sources() -> list[Source]:
    generate = _generator()
    flows = (generate.make_flow(7, index) for index in range(GENERATED_FLOWS))
    return [decode(flow.data(), flow.relpath) for flow in flows]


def _with_fixes(sources: list[Source]) -> list[Source]:
    """The files with a finding that offers a fix (the others have nothing to verify)."""
    planned = _settings("auto")
    return [source for source in sources
            if any(finding.fix is not None or finding.fix_outcome is not None
                   for finding in check_flows(source, planned).result.findings)]


def _runs(checked: CheckedSource, provided: dict[tuple[int, str], frozenset[str]]
          ) -> dict[tuple[int, str], TaskRun]:
    runs = {}
    for facts, _ in checked.flows:
        document = facts.flow.document_index
        for task in facts.tasks:
            key = (document, task.id)
            runs.setdefault(key, task_run(facts, task, provided.get(key, frozenset())))
    return runs


def _meant_images(applied: list[Finding], before: dict[tuple[int, str], TaskRun]
                  ) -> dict[tuple[int, str], str | None]:
    """Where each task runs after the fixes: where its last fix that moves it says."""
    meant = {key: run.image for key, run in before.items()}
    for finding in applied:
        fix = finding.fix
        for task_id in fix.scope:
            key = (finding.document or 0, task_id)
            if fix.runs_in is not None and key in meant:
                meant[key] = None if fix.runs_in == WORKER else fix.runs_in
    return meant


def _provided(applied: list[Finding], before: dict[tuple[int, str], TaskRun]
              ) -> dict[tuple[int, str], frozenset[str]]:
    """What each task's new home holds: what the fixes moved there, and what the image the
    task ran in carries when an image built FROM it (or a worker's Python) takes over."""
    provided: dict[tuple[int, str], frozenset[str]] = {}
    for finding in applied:
        fix = finding.fix
        for task_id in fix.scope:
            key = (finding.document or 0, task_id)
            carried: frozenset[str] = frozenset()
            if fix.runs_in == WORKER:
                carried = distributions.fresh_virtualenv()
            elif fix.runs_in is not None and key in before and before[key].image:
                carried = distributions.image_distributions(before[key].image) or frozenset()
            provided[key] = provided.get(key, frozenset()) | fix.provides | carried
    return provided


def _problems(original: Source, run: FixRun, strategy: str) -> Iterator[str]:
    settings = _settings(strategy)
    checked_before = check_flows(original, settings)
    checked_after = check_flows(Source.from_text(original.path, run.text, original.bom),
                                settings)
    before = _runs(checked_before, {})
    after = _runs(checked_after, _provided(run.applied, before))
    meant = _meant_images(run.applied, before)
    for key, old in sorted(before.items()):
        new = after.get(key)
        where = f"{original.path} [{strategy}] task '{key[1]}'"
        if new is None:
            yield f"{where}: the task is gone"
            continue
        if new.image != meant[key]:
            yield f"{where}: runs in {new.image!r}, meant {meant[key]!r}"
        for lost in lost_since(old, new):
            yield f"{where}: {lost}"
        for gone in sorted(old.used - new.used):
            kind, name = gone.split(" ", 1)
            if not _removable(kind, name):
                yield f"{where}: no longer uses {gone}"


def _removable(kind: str, name: str) -> bool:
    """A program that installed or activated what the fix moved, or a standard-library module
    the script imported only for its install (`import subprocess` for `subprocess.run(["pip",
    ...])`): neither is a package the task loses."""
    if kind == "program":
        return name in REMOVABLE_PROGRAMS
    return name in sys.stdlib_module_names or name == "pip"


def _check(sources: list[Source]) -> None:
    problems: list[str] = []
    fixed = 0
    for source in _with_fixes(sources):
        for strategy in ("auto", *STRATEGIES):
            run = fix_source(source, _settings(strategy), unsafe=True)
            fixed += bool(run.applied)
            problems.extend(_problems(source, run, strategy))
    assert fixed > 0, "no fix was applied: the test would show nothing"
    assert not problems, "\n".join(problems)


def test_every_fixture_keeps_its_tasks_running() -> None:
    _check(_fixture_sources())


def test_generated_flows_keep_their_tasks_running() -> None:
    _check(_generated_sources())
