"""What a run says besides its findings: the summary, statistics, skipped documents, and the
exit status. Each function returns text; flowlint.cli decides where it goes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from flowlint.catalogue import Rule
from flowlint.lang.printable import visible
from flowlint.report.rows import Reported, reported
from flowlint.run.pipeline import FileOutcome, Mode

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def collect(outcomes: Iterable[FileOutcome], catalogue: dict[str, Rule], keep_sources: bool
            ) -> tuple[list[FileOutcome], list[Reported]]:
    """The outcomes and report rows; each file's text is let go once its rows hold the
    lines they show (SARIF keeps them: its fixes are positioned from the text)."""
    kept, rows = [], []
    for outcome in outcomes:
        rows.extend(reported([outcome.result], catalogue))
        if not keep_sources:
            outcome.result.source = None
        kept.append(outcome)
    return kept, rows


def skipped_lines(outcomes: list[FileOutcome]) -> list[str]:
    """What --verbose adds: documents that are not flows, and what rules did not check."""
    lines = []
    for outcome in outcomes:
        if outcome.result.other_documents:
            lines.append(f"{outcome.result.path}: skipped {outcome.result.other_documents} "
                         "YAML document(s) that are not Kestra flows (no id, namespace and "
                         "tasks)")
        lines.extend(f"{outcome.result.path}: {note}" for note in outcome.result.notes)
    return lines


def error_lines(outcomes: list[FileOutcome]) -> list[str]:
    lines = []
    for outcome in outcomes:
        path = visible(outcome.result.path)
        if outcome.result.error:
            lines.append(f"{path}: error: {visible(outcome.result.error)}")
        if outcome.write_error:
            lines.append(f"{path}: error: not written: {visible(outcome.write_error)}")
    return lines


def statistics_text(rows: list[Reported]) -> str:
    counts = Counter((row.finding.rule, row.name) for row in rows)
    return "".join(f"{count:>5}  {code}  {name}\n"
                   for (code, name), count in sorted(counts.items()))


def summary_lines(outcomes: list[FileOutcome], rows: list[Reported], mode: Mode) -> list[str]:
    files = len(outcomes)
    lines = []
    fixed = sum(len(outcome.applied) for outcome in outcomes)
    if mode.fix and fixed:
        verb = "Would fix" if mode.diff else "Fixed"
        changed = sum(1 for outcome in outcomes if outcome.fixed_text is not None)
        lines.append(f"{verb} {fixed} task(s) in {changed} file(s).")
    unsafe = sum(1 for row in rows if row.finding.fix is not None and not row.finding.fix.safe)
    if unsafe and not mode.unsafe:
        lines.append(f"{unsafe} finding(s) have an unsafe fix: add --unsafe-fixes to apply it.")
    failed = sum(1 for outcome in outcomes if outcome.result.error or outcome.write_error)
    if failed:
        lines.append(f"{failed} file(s) could not be checked or written (see the errors above).")
    suppressed = sum(outcome.result.suppressed for outcome in outcomes)
    note = f" ({suppressed} suppressed by `# flowlint: ignore`)" if suppressed else ""
    if rows:
        lines.append(f"Found {len(rows)} finding(s) in {files} file(s){note}.")
    elif not mode.diff and not failed:
        lines.append(f"All checks passed ({files} file(s)){note}.")
    return lines


def exit_status(outcomes: list[FileOutcome], rows: list[Reported], mode: Mode, exit_zero: bool,
                exit_non_zero_on_fix: bool) -> int:
    if any(outcome.result.error or outcome.write_error for outcome in outcomes):
        return EXIT_ERROR
    if mode.diff and any(outcome.diff for outcome in outcomes):
        return EXIT_FINDINGS
    fixed = any(outcome.fixed_text is not None for outcome in outcomes)
    if exit_non_zero_on_fix and fixed:
        return EXIT_FINDINGS
    return EXIT_FINDINGS if rows and not exit_zero else EXIT_CLEAN
