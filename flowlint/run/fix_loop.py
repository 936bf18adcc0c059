"""Applying fixes: one at a time, each verified, until nothing more applies (with a cap)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from flowlint.findings import Finding, Fix, FixOutcome, apply_edits
from flowlint.lint import CheckedSource, FileResult, Settings, check_flows
from flowlint.run.still_runs import still_runs
from flowlint.run.verify import verify_fixed_text
from flowlint.source import Source

MAX_FIXES_PER_FILE = 50
_LONE_CR = re.compile(r"\r(?!\n)")


@dataclass
class FixRun:
    source: Source
    text: str
    applied: list[Finding] = field(default_factory=list)   # each with the fix applied
    failed: dict[FixKey, str] = field(default_factory=dict)
    result: FileResult | None = None    # the check of the final text

    @property
    def changed(self) -> bool:
        return self.text != self.source.text


FixKey = tuple[str, str | None, int | None]


def _key(finding: Finding) -> FixKey:
    """A rule's findings on one task of one flow: what one fix is about."""
    return finding.rule, finding.task_id, finding.document


def _wanted(finding: Finding, unsafe: bool) -> bool:
    return finding.fix is not None and (finding.fix.safe or unsafe)


def fix_source(source: Source, settings: Settings, unsafe: bool = False) -> FixRun:
    run = FixRun(source, source.text)
    current = check_flows(source, settings)
    if _LONE_CR.search(source.text):
        # The edits are made of LF or CRLF lines; checking such a file works, fixing it
        # would mix line ends.
        for finding in current.result.findings:
            if _wanted(finding, unsafe):
                run.failed[_key(finding)] = ("the file ends lines with a lone CR (classic Mac "
                                             "OS); convert it to LF line ends to fix it")
    for _ in range(MAX_FIXES_PER_FILE):
        candidates = [finding for finding in current.result.findings
                      if _wanted(finding, unsafe) and _key(finding) not in run.failed]
        if not candidates:
            break
        finding = candidates[0]
        fixed = _try_fix(current, finding, settings)
        if isinstance(fixed, str):
            run.failed[_key(finding)] = fixed
            continue
        current = fixed
        run.applied.append(finding)
    else:
        run.failed[("", None, None)] = f"fixes did not converge after {MAX_FIXES_PER_FILE} rounds"
    run.text = current.result.source.text
    run.result = _with_failures(current.result, run.failed)
    return run


def _try_fix(current: CheckedSource, finding: Finding,
             settings: Settings) -> CheckedSource | str:
    """The file checked again after the fix, or why the fix is not written: its YAML
    (flowlint.run.verify), what the fixed tasks run (flowlint.run.still_runs), the finding."""
    fix: Fix = finding.fix
    source = current.result.source
    text = apply_edits(source.text, fix.edits)
    if text is None:
        return "the fix's edits overlap"
    fixed = Source.from_text(source.path, text, source.bom)
    try:
        reason = verify_fixed_text(source, fixed, fix.scope)
        checked = check_flows(fixed, settings)
        reason = reason or still_runs(current, checked, fix, finding.document)
    except RecursionError:
        return "the file is nested too deeply to verify the fix"
    if reason:
        return reason
    if any(_key(other) == _key(finding) for other in checked.result.findings):
        return "the finding is still there after the fix"
    return checked


def _with_failures(result: FileResult, failed: dict[FixKey, str]) -> FileResult:
    """Findings whose fix failed verification say so instead of offering the fix."""
    if not failed:
        return result
    findings = []
    for finding in result.findings:
        reason = failed.get(_key(finding))
        if reason and finding.fix_outcome is not None:
            outcome = FixOutcome(finding.fix_outcome.strategy, finding.fix_outcome.title,
                                 finding.fix_outcome.safe, False,
                                 f"the fix failed verification and was not applied: {reason}")
            finding = dataclasses.replace(finding, fix=None, fix_outcome=outcome)
        findings.append(finding)
    result.findings = findings
    return result
