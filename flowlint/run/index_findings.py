"""How the result cache's stat index keeps a file's findings, and reads them back.

For the reports that show no fix edits (full, concise, github, junit, --statistics), a warm
run answers a file with findings from its index record alone: each finding's span, its
positions, the line it starts on (each line kept once) and what the report says of it. Read
back, a record is checked as strictly as an entry (flowlint.run.result_cache): exact types,
and no position past the file's size; anything else is a miss.
"""

from __future__ import annotations

from flowlint.findings import Finding, FixOutcome, Span
from flowlint.lint import FileResult
from flowlint.source import Source

OUTCOME_FIELDS = ("strategy", "title", "safe", "applicable", "reason")   # FixOutcome's order


class RecordedPositions:
    """What reports ask of a file's Source (flowlint.report.rows.reported) for a result read
    from the stat index: the position of each offset its findings start or end at, and the
    line each starts on. The file's text is not read."""

    __slots__ = ("_positions", "_lines")

    def __init__(self) -> None:
        self._positions: dict[int, tuple[int, int]] = {}
        self._lines: dict[int, str] = {}

    def add(self, span: Span, start: tuple[int, int], end: tuple[int, int], line: str
            ) -> None:
        """A finding's `span`, its start and end (line, column) and the line it starts on."""
        self._positions[span.start] = start
        self._positions[span.end] = end
        self._lines[span.start] = line

    def position(self, offset: int) -> tuple[int, int]:
        return self._positions[offset]

    def line_at(self, offset: int) -> str:
        return self._lines[offset]


def findings_record(findings: list[Finding], source: Source) -> list:
    """A file's findings as the stat index records them: [the distinct lines they start on,
    a row per finding (_finding_row)]. A line is kept once however many findings it holds:
    a one-line flow with a finding per task would otherwise cost the square of its size."""
    lines: dict[str, int] = {}
    rows = [_finding_row(finding, source, lines) for finding in findings]
    return [list(lines), rows]


def _finding_row(finding: Finding, source: Source, lines: dict[str, int]) -> list:
    """What the reports without fixes show of a finding; its quoted line as an index into
    `lines` (added to it)."""
    start, end = finding.span
    outcome = finding.fix_outcome
    line = lines.setdefault(source.line_at(start), len(lines))
    return [finding.rule, start, end, *source.position(start), *source.position(end), line,
            finding.message, finding.help, finding.task_id, finding.yaml_path,
            None if outcome is None else list(outcome)]


def recorded_result(path: str, counts: list, recorded: object, size: int
                     ) -> FileResult | None:
    """The result the index's findings record describes (see findings_record) for a file
    of `size` bytes, or None unless every field has exactly its type and every position
    lies in such a file: never a partial result, and no forged position that a report would
    spend memory on (a caret as wide as the column). Its findings carry no fix (the report
    they are for shows none) and its source only their positions and lines."""
    if not (type(recorded) is list and len(recorded) == 2):
        return None
    lines, rows = recorded
    # The decoded text has at most one character a byte: so do its lines and positions, and
    # no file holds more findings than bytes (a forged count would only cost memory).
    if not (type(lines) is list and type(rows) is list and 0 < len(rows) <= size
            and len(lines) <= len(rows)
            and all(type(line) is str and len(line) <= size for line in lines)):
        return None
    positions = RecordedPositions()
    findings = []
    for row in rows:
        finding = _finding(row, size, lines, positions)
        if finding is None:
            return None
        findings.append(finding)
    flows, others, suppressed, _ = counts
    return FileResult(path, positions, findings, None, flows, others, suppressed)


def _finding(row: object, size: int, lines: list[str], positions: RecordedPositions
             ) -> Finding | None:
    """The finding of one row (see _finding_row), its positions added to `positions`; None
    unless each field has exactly its type (a bool is not an int) and lies in the file.
    Checked field by field, plainly: this runs for every finding of a warm run."""
    if type(row) is not list or len(row) != 13:
        return None
    (rule, start, end, line, column, end_line, end_column, line_index, message, help_text,
     task_id, yaml_path, outcome) = row
    most = size + 1
    if not (type(rule) is str and type(start) is int and type(end) is int
            and type(line) is int and type(column) is int and type(end_line) is int
            and type(end_column) is int and type(line_index) is int and type(message) is str
            and (help_text is None or type(help_text) is str)
            and (task_id is None or type(task_id) is str)
            and (yaml_path is None or type(yaml_path) is str)
            and 0 <= start <= end <= size and 0 < line <= most and 0 < column <= most
            and 0 < end_line <= most and 0 < end_column <= most
            and (line, column) <= (end_line, end_column) and 0 <= line_index < len(lines)
            and is_rule_code(rule)):
        return None
    fix_outcome = None
    if outcome is not None:
        fix_outcome = outcome_from_list(outcome)
        if fix_outcome is None:
            return None
    span = Span(start, end)
    positions.add(span, (line, column), (end_line, end_column), lines[line_index])
    return Finding(rule, span, message, task_id, yaml_path, None, fix_outcome, help=help_text)


def outcome_from_list(values: object) -> FixOutcome | None:
    """A FixOutcome from its fields in order, if each has exactly its type."""
    if not (type(values) is list and len(values) == 5):
        return None
    strategy, title, safe, applicable, reason = values
    if not (type(strategy) is str and type(title) is str and type(safe) is bool
            and type(applicable) is bool and type(reason) is str):
        return None
    return FixOutcome(strategy, title, safe, applicable, reason)


def is_rule_code(text: str) -> bool:
    """FL and three ASCII digits (a test, not a regular expression: compiling one costs
    every start more than all the tests of a warm run)."""
    return len(text) == 5 and text.startswith("FL") and text[2:].isdigit() and text.isascii()


def is_optional_str(value: object) -> bool:
    return value is None or type(value) is str
