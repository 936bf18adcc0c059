"""Applying fixes, each verified, until nothing more applies (with a cap on the rounds).

A round applies every fix whose tasks no other fix of the round touches, and verifies them
together: a flow of 300 flagged tasks is fixed in one round, not 300 checks of the file. When
a round's fixes do not pass together, the round falls back to the first fix alone, so each
fix still gets its own verdict."""

from __future__ import annotations

import re
from collections import Counter

from flowlint.findings import Finding, Fix, FixOutcome, apply_edits
from flowlint.lint import CheckedSource, FileResult, Settings, check_flows
from flowlint.run.still_runs import still_runs
from flowlint.run.verify import verify_fixed_text
from flowlint.source import Source

MAX_ROUNDS = 50
_LONE_CR = re.compile(r"\r(?!\n)")


class FixRun:
    """One file's fixing: the text so far, the fixes applied and the ones that failed."""

    __slots__ = ("source", "text", "applied", "failed", "result", "original")

    def __init__(self, source: Source, text: str) -> None:
        self.source = source
        self.text = text
        self.applied: list[Finding] = []   # each with the fix applied
        self.failed: dict[FixKey, str] = {}
        self.result: FileResult | None = None    # the check of the final text
        self.original: FileResult | None = None  # the check of the text as it was

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
    original = current.result
    if _LONE_CR.search(source.text):
        # The edits are made of LF or CRLF lines; checking such a file works, fixing it
        # would mix line ends.
        for finding in current.result.findings:
            if _wanted(finding, unsafe):
                run.failed[_key(finding)] = ("the file ends lines with a lone CR (classic Mac "
                                             "OS); convert it to LF line ends to fix it")
    for _ in range(MAX_ROUNDS):
        candidates = [finding for finding in current.result.findings
                      if _wanted(finding, unsafe) and _key(finding) not in run.failed]
        if not candidates:
            break
        batch = _independent(candidates)
        if len(batch) > 1:
            fixed = _try_fixes(current, batch, settings)
            if not isinstance(fixed, str):
                current = fixed
                run.applied.extend(batch)
                continue
        finding = candidates[0]
        fixed = _try_fixes(current, [finding], settings)
        if isinstance(fixed, str):
            run.failed[_key(finding)] = fixed
            continue
        current = fixed
        run.applied.append(finding)
    else:
        run.failed[("", None, None)] = f"fixes did not converge after {MAX_ROUNDS} rounds"
    run.text = current.result.source.text
    run.result = _with_failures(current.result, run.failed)
    run.original = run.result if current.result is original else \
        _with_failures(original, run.failed)
    return run


def try_fix(current: CheckedSource, finding: Finding,
            settings: Settings) -> CheckedSource | str:
    """One fix, verified as --fix verifies it (for an editor's quick fix)."""
    return _try_fixes(current, [finding], settings)


def _independent(candidates: list[Finding]) -> list[Finding]:
    """One finding per fix, of fixes whose tasks no other one rewrites: they can be applied
    together and verified at once. A fix with no task (a comment's) goes alone, and so does
    one planned from the rest of the flow."""
    batch: list[Finding] = []
    keys: set[FixKey] = set()
    touched: set[str] = set()
    for finding in candidates:
        scope = finding.fix.scope if finding.fix is not None else frozenset()
        if _key(finding) in keys or not scope or scope & touched or _plans_flow_wide(finding):
            continue
        batch.append(finding)
        keys.add(_key(finding))
        touched |= scope
    return batch


def _plans_flow_wide(finding: Finding) -> bool:
    """A custom-image fix is planned against the images the flow already names (one name,
    one package set): two planned on the same text could both take a name, so each goes
    in a round of its own, planned on the text the previous one left."""
    outcome = finding.fix_outcome
    return outcome is not None and outcome.strategy == "custom-image"


def _try_fixes(current: CheckedSource, findings: list[Finding],
               settings: Settings) -> CheckedSource | str:
    """The file checked again after the fixes, or why they are not written: its YAML
    (flowlint.run.verify), what the fixed tasks run (flowlint.run.still_runs), the findings."""
    fixes: list[Fix] = [finding.fix for finding in findings]
    source = current.result.source
    text = apply_edits(source.text, [edit for fix in fixes for edit in fix.edits])
    if text is None:
        return "the fix's edits overlap"
    fixed = Source.from_text(source.path, text, source.bom)
    try:
        reason = verify_fixed_text(source, fixed, frozenset().union(*(fix.scope
                                                                      for fix in fixes)))
        checked = check_flows(fixed, settings)
        for fix, finding in zip(fixes, findings):
            reason = reason or still_runs(current, checked, fix, finding.document)
    except RecursionError:
        return "the file is nested too deeply to verify the fix"
    if reason:
        return reason
    before, after = _key_counts(current), _key_counts(checked)   # once a round, not per fix
    if any(_still_there(finding, before, after) for finding in findings):
        return "the finding is still there after the fix"
    return checked


def _key_counts(checked: CheckedSource) -> Counter[FixKey]:
    return Counter(_key(finding) for finding in checked.result.findings)


def _still_there(finding: Finding, before: Counter[FixKey], after: Counter[FixKey]) -> bool:
    """A task's fix must clear every finding of its rule on the task; a fix with no task (a
    comment's) one finding, as others of the rule may stay (two unused suppressions)."""
    key = _key(finding)
    if finding.task_id is not None:
        return after[key] > 0
    return after[key] >= before[key]


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
            finding = finding._replace(fix=None, fix_outcome=outcome)
        findings.append(finding)
    result.findings = findings
    return result
