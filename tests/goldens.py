"""Golden fix outputs: fixtures/<CODE>/bad-<name>.fixed.<strategy>.yaml, or
bad-<name>.refused.<strategy>.txt holding the reason the strategy gives for not fixing.

Regenerate after a deliberate change with `python tests/goldens.py --update` (optionally
followed by rule codes, to regenerate only theirs), then read the diff: the goldens are the
review.
"""

from __future__ import annotations

import sys
from pathlib import Path

from flowlint.catalogue import load_catalogue
from flowlint.lint import Settings
from flowlint.remedies.fix_options import STRATEGIES, FixOptions
from flowlint.rules import module_names, rule_module
from flowlint.run.fix_loop import FixRun, fix_source
from flowlint.source import decode

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# Rules with goldens, and the strategies each is fixed with: rules with one fix of their own
# run with `auto`, and their goldens are named `default`. FL900's fix comes with its finding.
DEFAULT = "default"
FIXED_RULES = {
    code: STRATEGIES if getattr(rule_module(code), "FIXED_BY_STRATEGIES", False) else (DEFAULT,)
    for code in module_names() if hasattr(rule_module(code), "fix")
}
IMAGE = "registry.example.com/{namespace}/{flow}-{task}:1.0"


def settings_for(strategy: str) -> Settings:
    return Settings(frozenset(load_catalogue()), (1, 0), {},
                    fix=FixOptions(strategy="auto" if strategy == DEFAULT else strategy,
                                   image=IMAGE))


def bad_fixtures() -> list[Path]:
    return sorted(path for code in FIXED_RULES for path in (FIXTURES / code).glob("bad-*.yaml")
                  if ".fixed." not in path.name)


def cases() -> list[tuple[Path, str]]:
    """(bad fixture, strategy) pairs that have a golden."""
    return [(path, strategy) for path in bad_fixtures()
            for strategy in FIXED_RULES[path.parent.name]]


def run_fix(path: Path, strategy: str) -> FixRun:
    source = decode(path.read_bytes(), path.name)
    return fix_source(source, settings_for(strategy), unsafe=True)


def golden_paths(path: Path, strategy: str) -> tuple[Path, Path]:
    stem = path.name[: -len(".yaml")]
    return (path.with_name(f"{stem}.fixed.{strategy}.yaml"),
            path.with_name(f"{stem}.refused.{strategy}.txt"))


def refusals(run: FixRun, code: str) -> str:
    reasons = sorted({f"{finding.task_id}: {finding.fix_outcome.reason}"
                      for finding in run.result.findings
                      if finding.rule == code and finding.fix_outcome is not None})
    return "".join(reason + "\n" for reason in reasons)


def update(codes: list[str]) -> None:
    for path, strategy in cases():
        if codes and path.parent.name not in codes:
            continue
        fixed, refused = golden_paths(path, strategy)
        run = run_fix(path, strategy)
        fixed.unlink(missing_ok=True)
        refused.unlink(missing_ok=True)
        if run.changed:
            fixed.write_bytes(run.source.encode(run.text))
        reasons = refusals(run, path.parent.name)
        if reasons:
            refused.write_text(reasons, encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:2] != ["--update"]:
        raise SystemExit("usage: python tests/goldens.py --update [CODE ...]")
    update(sys.argv[2:])
