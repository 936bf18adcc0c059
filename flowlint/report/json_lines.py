"""The `json-lines` format: one `json` finding record per line, for streaming and grep."""

from __future__ import annotations

import json

from flowlint.report.json_format import finding_record
from flowlint.report.rows import Reported


def render_json_lines(rows: list[Reported]) -> str:
    return "".join(json.dumps(finding_record(row), ensure_ascii=False) + "\n" for row in rows)
