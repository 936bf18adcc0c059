"""A finding as every format shows it: its file, 1-based positions, its rule and its line."""

from __future__ import annotations

from flowlint.catalogue import Rule
from flowlint.findings import Finding
from flowlint.lint import FileResult
from flowlint.records import NamedTuple
from flowlint.source import Source


class Reported(NamedTuple):
    """A finding with what every format needs: its file, 1-based positions, its rule."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    finding: Finding
    rule: Rule | None
    source_line: str
    # The finding's fix as (line, column, end_line, end_column, new text), 1-based like the
    # finding: positioned here, while the file's text is at hand (reports may not keep it).
    fix_edits: tuple[tuple[int, int, int, int, str], ...] = ()
    # When an earlier row carries the same fix (the findings of one task share it): that
    # row's index among all rows. Formats write a shared fix once, or their size would grow
    # with the square of a task's installs.
    edits_in: int | None = None

    @property
    def severity(self) -> str:
        return self.rule.severity if self.rule else "error"

    @property
    def fix_kind(self) -> str | None:
        """'safe' when --fix fixes it, 'unsafe' when only --unsafe-fixes does, else None."""
        outcome = self.finding.fix_outcome
        if outcome is None or not outcome.applicable:
            return None
        return "safe" if outcome.safe else "unsafe"

    @property
    def name(self) -> str:
        return self.rule.name if self.rule else ""


def reported(results: list[FileResult], catalogue: dict[str, Rule],
             first_index: int = 0) -> list[Reported]:
    """The rows of `results`, numbered from `first_index` (the rows already reported)."""
    rows: list[Reported] = []
    for result in results:
        source = result.source
        if source is None:
            continue
        first_with_fix: dict[int, int] = {}   # id(fix) -> the index of its first row
        for finding in result.findings:
            line, column = source.position(finding.span.start)
            end_line, end_column = source.position(finding.span.end)
            edits_in = None if finding.fix is None else first_with_fix.get(id(finding.fix))
            if finding.fix is not None and edits_in is None:
                first_with_fix[id(finding.fix)] = first_index + len(rows)
            edits = _positioned_edits(finding, source) if edits_in is None else ()
            rows.append(Reported(result.path, line, column, end_line, end_column, finding,
                                 catalogue.get(finding.rule),
                                 source.line_at(finding.span.start), edits, edits_in))
    return rows


def _positioned_edits(finding: Finding, source: Source
                      ) -> tuple[tuple[int, int, int, int, str], ...]:
    if finding.fix is None:
        return ()
    return tuple((*source.position(edit.start), *source.position(edit.end), edit.text)
                 for edit in sorted(finding.fix.edits, key=lambda edit: (edit.start, edit.end)))
