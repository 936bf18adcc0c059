"""Reading, checking and selecting: from a file's bytes to its findings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from ruamel.yaml.nodes import ScalarNode

from flowlint.checks import CHECKS
from flowlint.findings import Finding, Span
from flowlint.model import Flow, build_flow, is_flow
from flowlint.source import DEFAULT_MAX_BYTES, Source, SourceError, decode
from flowlint.yamlnodes import compose, duplicate_keys, node_span

if TYPE_CHECKING:
    from flowlint.fixes.plan import FixOptions

INVALID_YAML = "FL000"


@dataclass(frozen=True)
class Settings:
    """What decides the findings of a file (and so keys the result cache)."""

    rules: frozenset[str]
    target_version: tuple[int, int] = (1, 0)
    parameters: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    max_bytes: int = DEFAULT_MAX_BYTES
    fix: FixOptions | None = None   # plan fixes (for --fix, and for the `fix` field in reports)
    use_suppressions: bool = True   # False with --no-ignores (audits)

    @cached_property
    def cache_key(self) -> str:
        """A text that is equal for equal settings in every process (sets sorted)."""
        import json

        return json.dumps([sorted(self.rules), self.target_version, self.parameters,
                           self.max_bytes, repr(self.fix), self.use_suppressions],
                          sort_keys=True, default=list)


@dataclass
class FileResult:
    path: str
    source: Source | None = None
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    flows: int = 0
    other_documents: int = 0
    suppressed: int = 0


def select_rules(known: Iterable[str], defaults: Iterable[str], select: Iterable[str] = (),
                 ignore: Iterable[str] = ()) -> frozenset[str]:
    """Codes enabled by --select/--ignore: codes or prefixes (FL0, ALL)."""
    known = sorted(known)
    chosen = set(_expand(select, known)) if select else set(defaults)
    return frozenset(chosen - set(_expand(ignore, known)))


def _expand(patterns: Iterable[str], known: list[str]) -> Iterable[str]:
    for pattern in patterns:
        pattern = pattern.strip().upper()
        if pattern == "ALL":
            yield from known
        else:
            yield from (code for code in known if code.startswith(pattern))


def check_bytes(data: bytes, path: str, settings: Settings) -> FileResult:
    try:
        source = decode(data, path, settings.max_bytes)
    except SourceError as error:
        return FileResult(path, error=str(error))
    return check_source(source, settings)


def check_source(source: Source, settings: Settings) -> FileResult:
    result = FileResult(source.path, source)
    documents, flows = parse_flows(source, settings, result)
    for flow in flows:
        result.flows += 1
        result.findings.extend(check_flow(flow, settings))
    if settings.use_suppressions and "flowlint" in source.text:
        _apply_suppressions(source, documents, flows, settings, result)
    result.findings.sort(key=lambda finding: (finding.span.start, finding.rule))
    return result


def _apply_suppressions(source: Source, documents: list, flows: list[Flow],
                        settings: Settings, result: FileResult) -> None:
    """`# flowlint: ignore[...]` comments: suppressed findings are neither shown nor fixed."""
    from flowlint.suppressions import apply_inline_suppressions

    tasks = [(task.id, task.span) for flow in flows for task in flow.tasks]
    outcome = apply_inline_suppressions(source, documents, tasks, result.findings,
                                        settings.rules)
    result.findings = list(outcome.kept)
    result.suppressed = len(outcome.suppressed)


def check_flow(flow: Flow, settings: Settings) -> list[Finding]:
    findings: list[Finding] = []
    for code, check in CHECKS.items():
        if code in settings.rules:
            findings.extend(check(flow, settings.parameters.get(code, {})))
    if settings.fix is not None and findings:
        from flowlint.fixes.planner import attach_fixes

        findings = attach_fixes(flow, findings, settings.fix)
    return findings


def parse_flows(source: Source, settings: Settings,
                result: FileResult) -> tuple[list, list[Flow]]:
    """The documents and flows of a file; FL000 findings for what cannot be read go into
    `result`."""
    documents, problem = compose(source)
    report_syntax = INVALID_YAML in settings.rules
    if problem is not None and report_syntax:
        result.findings.append(Finding(INVALID_YAML, Span(problem.offset, problem.offset),
                                       problem.message))
    flows = []
    for index, document in enumerate(documents):
        duplicates = list(duplicate_keys(document))
        if report_syntax:
            result.findings.extend(_duplicate_finding(source, key) for key in duplicates)
        if not is_flow(document):
            result.other_documents += 1
        elif not duplicates:
            flows.append(build_flow(source, document, index, settings.target_version))
    return documents, flows


def _duplicate_finding(source: Source, key: ScalarNode) -> Finding:
    return Finding(INVALID_YAML, node_span(source, key),
                   f"invalid YAML: duplicate key '{key.value}' (Kestra rejects the flow)")
