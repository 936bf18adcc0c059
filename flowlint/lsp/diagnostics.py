"""A document's findings, checked by the CLI's own pipeline, as LSP diagnostics."""

from __future__ import annotations

from collections.abc import Mapping

from flowlint.catalogue import Rule
from flowlint.findings import Finding
from flowlint.lint import Settings
from flowlint.lsp.positions import lsp_range
from flowlint.records import NamedTuple
from flowlint.run.pipeline import Mode, process_file
from flowlint.source import Source
from flowlint.suppressions import UNUSED_SUPPRESSION

SOURCE_NAME = "flowlint"
RULE_DOC_URL = "https://github.com/flowlint/flowlint/blob/main/rules/{code}.yaml"
SEVERITIES = {"error": 1, "warning": 2, "info": 3}
UNNECESSARY = 1   # DiagnosticTag: editors grey out an unused suppression


class DocumentCheck(NamedTuple):
    """What flowlint found in one version of a document, or why it did not check it."""

    source: Source | None
    findings: tuple[Finding, ...] = ()
    problem: str | None = None


def check_text(path: str, text: str, settings: Settings) -> DocumentCheck:
    """The document checked as `flowlint check` checks a file (size limit, decoding, config,
    suppressions), without planning fixes: diagnostics never need the fixing code."""
    data = text.encode("utf-8", "replace")   # a lone surrogate from JSON stays one character
    outcome = process_file(path, settings._replace(fix=None), Mode(), data)
    result = outcome.result
    if result.error:
        return DocumentCheck(result.source, (), result.error)
    return DocumentCheck(result.source, tuple(result.findings))


def to_diagnostics(check: DocumentCheck, catalogue: Mapping[str, Rule],
                   encoding: str) -> list[dict]:
    if check.problem is not None:
        return [problem_diagnostic(check.problem)]
    return [diagnostic(finding, check.source, catalogue.get(finding.rule), encoding)
            for finding in check.findings]


def diagnostic(finding: Finding, source: Source, rule: Rule | None, encoding: str) -> dict:
    item = {
        "range": lsp_range(source, finding.span.start, _visible_end(finding, source),
                           encoding),
        "severity": SEVERITIES.get(rule.severity if rule else "error", 1),
        "code": finding.rule,
        "codeDescription": {"href": RULE_DOC_URL.format(code=finding.rule)},
        "source": SOURCE_NAME,
        "message": finding.message_and_help,
    }
    if finding.rule == UNUSED_SUPPRESSION:
        item["tags"] = [UNNECESSARY]
    return item


def _visible_end(finding: Finding, source: Source) -> int:
    """A point finding (a YAML syntax error is one position) is shown to the end of its
    line: editors draw nothing under an empty range, or a dot that is easy to miss."""
    start, end = finding.span.start, finding.span.end
    if end > start:
        return end
    line, _ = source.position(start)
    return max(start, min(len(source.text), source.offset(line - 1, 0)
                          + len(source.line_text(line))))


def problem_diagnostic(problem: str) -> dict:
    """A document flowlint did not check (too large, a bad config, a crash) says so at its
    first character, so the user is not left thinking it is clean."""
    start = {"line": 0, "character": 0}
    return {"range": {"start": start, "end": start}, "severity": SEVERITIES["warning"],
            "source": SOURCE_NAME, "message": f"flowlint did not check this file: {problem}"}


def findings_at(check: DocumentCheck, start: int, end: int) -> list[Finding]:
    """The findings whose span touches the character range [start, end]."""
    return [finding for finding in check.findings
            if finding.span.start <= end and start <= finding.span.end]


