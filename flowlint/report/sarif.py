"""The `sarif` format: SARIF 2.1.0, for GitHub code scanning and other SARIF viewers."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path, PurePath
from urllib.parse import quote

from flowlint import __version__
from flowlint.catalogue import Rule, render_rule_doc
from flowlint.findings import Fix
from flowlint.lint import FileResult
from flowlint.report.rows import Reported
from flowlint.source import Source

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/flowlint/flowlint"
SOURCE_ROOT = "%SRCROOT%"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
FINGERPRINT_KEY = "flowlint/v1"


def render_sarif(rows: list[Reported], results: list[FileResult],
                 catalogue: dict[str, Rule]) -> str:
    return json.dumps(sarif_log(rows, results, catalogue), indent=2, ensure_ascii=False) + "\n"


def sarif_log(rows: list[Reported], results: list[FileResult],
              catalogue: dict[str, Rule]) -> dict[str, object]:
    rule_index = {code: index for index, code in enumerate(catalogue)}
    # Reported rows carry no text; fix edits are offsets that need it to become positions.
    sources = {result.path: result.source for result in results if result.source is not None}
    errors = [result for result in results if result.error]
    run = {
        "tool": {"driver": {
            "name": "flowlint",
            "version": __version__,
            "informationUri": INFORMATION_URI,
            "rules": [rule_descriptor(rule) for rule in catalogue.values()],
        }},
        "invocations": [{
            "executionSuccessful": not errors,
            "toolExecutionNotifications": [error_notification(result) for result in errors],
        }],
        # Columns count characters (code points), not SARIF's default UTF-16 code units.
        "columnKind": "unicodeCodePoints",
        "results": [result_object(row, rule_index, sources.get(row.path)) for row in rows],
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def rule_descriptor(rule: Rule) -> dict[str, object]:
    doc = render_rule_doc(rule)
    tags = ["kestra", *(["fixable"] if rule.fixable else [])]
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.doc.why},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": LEVELS.get(rule.severity, "error"),
                                 "enabled": rule.enabled_by_default},
        "properties": {"tags": tags},
    }


def artifact_location(path: str) -> dict[str, str]:
    """A URI reference for a path: relative paths stay relative to the source root."""
    pure = PurePath(path)
    if pure.is_absolute():
        return {"uri": Path(path).as_uri()}
    # The name's bytes, as the file system holds them: a name that is not UTF-8 is read
    # (and shown) with escapes, which quote() cannot encode as text.
    return {"uri": quote(os.fsencode(pure.as_posix())), "uriBaseId": SOURCE_ROOT}


def region(line: int, column: int, end_line: int, end_column: int) -> dict[str, int]:
    return {"startLine": line, "startColumn": column, "endLine": end_line,
            "endColumn": end_column}


def result_object(row: Reported, rule_index: dict[str, int],
                  source: Source | None) -> dict[str, object]:
    finding = row.finding
    location = artifact_location(row.path)
    result: dict[str, object] = {"ruleId": finding.rule}
    if finding.rule in rule_index:
        result["ruleIndex"] = rule_index[finding.rule]
    result.update({
        "level": LEVELS.get(row.severity, "error"),
        "message": {"text": finding.message_and_help},
        "locations": [{"physicalLocation": {
            "artifactLocation": location,
            "region": region(row.line, row.column, row.end_line, row.end_column),
        }}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(row)},
    })
    # A fix shared by several results is written with the first (see Reported.edits_in).
    if finding.fix is not None and finding.fix.edits and source is not None \
            and row.edits_in is None:
        result["fixes"] = [fix_object(finding.fix, location, source)]
    return result


def fingerprint(row: Reported) -> str:
    """Stable across runs and unrelated edits: no line numbers, only what identifies the finding."""
    finding = row.finding
    parts = (finding.rule, PurePath(row.path).as_posix(), finding.task_id or "", finding.message)
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def fix_object(fix: Fix, location: dict[str, str], source: Source) -> dict[str, object]:
    replacements = []
    for edit in fix.edits:
        start_line, start_column = source.position(edit.start)
        end_line, end_column = source.position(edit.end)
        replacements.append({
            "deletedRegion": region(start_line, start_column, end_line, end_column),
            "insertedContent": {"text": edit.text},
        })
    return {
        "description": {"text": fix.title},
        "artifactChanges": [{"artifactLocation": location, "replacements": replacements}],
        "properties": {"safe": fix.safe},
    }


def error_notification(result: FileResult) -> dict[str, object]:
    return {
        "level": "error",
        "message": {"text": result.error},
        "locations": [{"physicalLocation": {"artifactLocation": artifact_location(result.path)}}],
    }
