"""The `json` format: a stable contract, described by flowlint/schemas/report.schema.json."""

from __future__ import annotations

import json

from flowlint import __version__
from flowlint.lint import FileResult
from flowlint.report.rows import Reported


def finding_record(row: Reported) -> dict[str, object]:
    finding = row.finding
    outcome = finding.fix_outcome
    fix = None
    if outcome is not None:
        fix = {"strategy": outcome.strategy, "title": outcome.title, "safe": outcome.safe,
               "applicable": outcome.applicable, "reason": outcome.reason or None,
               "edits": None if row.edits_in is not None
               else [_edit_record(*edit) for edit in row.fix_edits],
               "edits_in": row.edits_in}
    return {
        "rule": finding.rule,
        "name": row.name,
        "severity": row.severity,
        "message": finding.message,
        "help": finding.help,
        "path": row.path,
        "line": row.line,
        "column": row.column,
        "end_line": row.end_line,
        "end_column": row.end_column,
        "task_id": finding.task_id,
        "yaml_path": finding.yaml_path,
        "fix": fix,
    }


def _edit_record(line: int, column: int, end_line: int, end_column: int,
                 text: str) -> dict[str, object]:
    return {"start": {"line": line, "column": column},
            "end": {"line": end_line, "column": end_column}, "text": text}


def render_json(rows: list[Reported], results: list[FileResult]) -> str:
    document = {
        "version": __version__,
        "findings": [finding_record(row) for row in rows],
        "errors": [{"path": result.path, "message": result.error}
                   for result in results if result.error],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
