"""Hover: the rule's documentation from the catalogue, over a flagged span or over a rule
code (or name) in a `# flowlint: ignore[...]` comment."""

from __future__ import annotations

import re
from collections.abc import Mapping

from flowlint.catalogue import Rule, render_rule_doc, rule_by_code_or_name
from flowlint.findings import Finding
from flowlint.lsp.diagnostics import DocumentCheck
from flowlint.source import Source

_DIRECTIVE = re.compile(r"#[ \t]*flowlint[ \t]*:[ \t]*ignore(?:-file)?[ \t]*\[(?P<codes>[^\]\n]*)")
_WORD = re.compile(r"[A-Za-z0-9_-]+")


def hover_text(check: DocumentCheck, at: int, catalogue: Mapping[str, Rule]) -> str | None:
    """Markdown for the hover at character offset `at`, or None when nothing is there."""
    if check.source is None:
        return None
    rule = _rule_in_suppression(check.source, at, catalogue)
    if rule is not None:
        return render_rule_doc(rule)
    flagged = [finding for finding in check.findings
               if finding.span.start <= at <= finding.span.end]
    if not flagged:
        return None
    return "\n\n---\n\n".join(_finding_text(finding, catalogue) for finding in flagged)


def _finding_text(finding: Finding, catalogue: Mapping[str, Rule]) -> str:
    rule = catalogue.get(finding.rule)
    said = f"**{finding.rule}**: {finding.message}"
    if finding.help:
        said += f"\n\nhelp: {finding.help}"
    return said if rule is None else f"{said}\n\n{render_rule_doc(rule)}"


def _rule_in_suppression(source: Source, at: int, catalogue: Mapping[str, Rule]) -> Rule | None:
    line1 = source.position(at)[0]
    line = source.line_text(line1)
    column = at - source.line_starts[line1 - 1]
    for directive in _DIRECTIVE.finditer(line):
        codes_start = directive.start("codes")
        for word in _WORD.finditer(directive.group("codes")):
            if codes_start + word.start() <= column <= codes_start + word.end():
                return rule_by_code_or_name(catalogue, word.group())
    return None
