"""Output formats. Each renders the same list of positioned findings."""

from __future__ import annotations

from dataclasses import dataclass

from flowlint.catalogue import Rule
from flowlint.findings import Finding
from flowlint.lint import FileResult

FORMATS = ("full", "concise", "json", "json-lines", "github", "sarif", "junit")


@dataclass(frozen=True)
class Reported:
    """A finding with what every format needs: its file, 1-based positions, its rule."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    finding: Finding
    rule: Rule | None
    source_line: str

    @property
    def severity(self) -> str:
        return self.rule.severity if self.rule else "error"

    @property
    def name(self) -> str:
        return self.rule.name if self.rule else ""


def reported(results: list[FileResult], catalogue: dict[str, Rule]) -> list[Reported]:
    rows = []
    for result in results:
        source = result.source
        for finding in result.findings:
            if source is None:
                continue
            line, column = source.position(finding.span.start)
            end_line, end_column = source.position(finding.span.end)
            rows.append(Reported(result.path, line, column, end_line, end_column, finding,
                                 catalogue.get(finding.rule), source.line_text(line)))
    return rows


def render(output_format: str, rows: list[Reported], results: list[FileResult],
           catalogue: dict[str, Rule]) -> str:
    """The report text; each format's module is imported only when used."""
    if output_format == "json":
        from flowlint.report.json_format import render_json
        return render_json(rows, results)
    if output_format == "json-lines":
        from flowlint.report.json_lines import render_json_lines
        return render_json_lines(rows)
    if output_format == "github":
        from flowlint.report.github import render_github
        return render_github(rows, results)
    if output_format == "sarif":
        from flowlint.report.sarif import render_sarif
        return render_sarif(rows, results, catalogue)
    if output_format == "junit":
        from flowlint.report.junit import render_junit
        return render_junit(rows, results)
    from flowlint.report.text import render_concise, render_full
    return render_concise(rows) if output_format == "concise" else render_full(rows)
