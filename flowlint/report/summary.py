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
SEVERITIES = ("error", "warning", "info")   # worst first


def collect(outcomes: Iterable[FileOutcome], catalogue: dict[str, Rule], keep_sources: bool
            ) -> tuple[list[FileOutcome], list[Reported]]:
    """The outcomes and report rows; each file's text is let go once its rows hold the
    lines they show (SARIF keeps them: its fixes are positioned from the text)."""
    kept, rows = [], []
    for outcome in outcomes:
        if outcome.result.findings:
            rows.extend(reported([outcome.result], catalogue, len(rows)))
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
        if not (outcome.result.error or outcome.write_error):
            continue
        path = visible(outcome.result.path)
        if outcome.result.error:
            lines.append(f"{path}: error: {visible(outcome.result.error)}")
        if outcome.write_error:
            lines.append(f"{path}: error: not written: {visible(outcome.write_error)}")
    return lines


def statistics_report(rows: list[Reported], as_json: bool) -> str:
    """How many findings each rule has and how many --fix would fix: a table, or JSON."""
    counts: Counter[tuple[str, str]] = Counter()
    fixable: Counter[tuple[str, str]] = Counter()
    unsafe: Counter[tuple[str, str]] = Counter()
    for row in rows:
        key = (row.finding.rule, row.name)
        counts[key] += 1
        fixable[key] += row.fix_kind == "safe"
        unsafe[key] += row.fix_kind == "unsafe"
    keys = sorted(counts)
    if as_json:
        import json

        return json.dumps([{"code": code, "name": name, "count": counts[(code, name)],
                            "fixable": fixable[(code, name)],
                            "unsafe_fixable": unsafe[(code, name)]} for code, name in keys],
                          indent=2) + "\n"
    # The marker as in the full format: [*] some are fixed by --fix, [-] only by
    # --unsafe-fixes.
    return "".join(f"{counts[key]:>5}  {key[0]}  "
                   f"{'[*]' if fixable[key] else '[-]' if unsafe[key] else '   '} {key[1]}\n"
                   for key in keys)


def at_or_above(rows: list[Reported], threshold: str) -> list[Reported]:
    """The findings whose severity is `threshold` or worse (--exit-on)."""
    lowest = SEVERITIES.index(threshold)
    return [row for row in rows if SEVERITIES.index(row.severity) <= lowest]


def summary_lines(outcomes: list[FileOutcome], rows: list[Reported], mode: Mode) -> list[str]:
    lines = []
    fixed = sum(len(outcome.applied) for outcome in outcomes)
    if mode.fix and fixed:
        verb = "Would apply" if mode.diff else "Applied"
        changed = sum(1 for outcome in outcomes if outcome.fixed_text is not None)
        lines.append(f"{verb} {fixed} fix(es) in {changed} file(s).")
    failed = sum(1 for outcome in outcomes if outcome.result.error or outcome.write_error)
    if failed:
        lines.append(f"{failed} path(s) could not be read or written (see the errors above).")
    suppressed = sum(outcome.result.suppressed for outcome in outcomes)
    note = f"; {suppressed} suppressed by `# flowlint: ignore`" if suppressed else ""
    checked = sum(1 for outcome in outcomes if not outcome.result.error)
    if rows:
        with_findings = len({row.path for row in rows})
        lines.append(f"Found {len(rows)} finding(s) in {with_findings} file(s) "
                     f"({checked} file(s) checked{note}).")
        lines.extend(_fixable_lines(rows, mode))
    elif not mode.diff and not failed:
        lines.append(f"All checks passed ({checked} file(s) checked{note}).")
    return lines


def _fixable_lines(rows: list[Reported], mode: Mode) -> list[str]:
    """How many of the findings a fix run would fix, as ruff says it."""
    safe = sum(1 for row in rows if row.fix_kind == "safe")
    unsafe = sum(1 for row in rows if row.fix_kind == "unsafe")
    if mode.fix:   # what is left after fixing: only unsafe fixes can remain
        return ([f"{unsafe} finding(s) have an unsafe fix: add --unsafe-fixes to apply it."]
                if unsafe and not mode.unsafe else [])
    if not safe:
        return [f"{unsafe} fixable with `flowlint check --fix --unsafe-fixes`."] if unsafe else []
    more = f" ({unsafe} more with --unsafe-fixes)" if unsafe else ""
    return [f"[*] {safe} fixable with `flowlint check --fix`{more}."]


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
