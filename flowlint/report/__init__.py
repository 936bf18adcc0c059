"""Output formats. Each renders the same list of positioned findings."""

from __future__ import annotations

from flowlint.catalogue import Rule
from flowlint.lint import FileResult
from flowlint.report.rows import Reported
from flowlint.report.style import PLAIN, Style

FORMATS = ("full", "concise", "json", "json-lines", "github", "sarif", "junit")
TEXT_FORMATS = ("full", "concise")   # for people: coloured, followed by a summary
# The formats that show fixes' edits (Reported.fix_edits); SARIF also reads the file's text.
FIX_FORMATS = ("json", "json-lines", "sarif")


def render(output_format: str, rows: list[Reported], results: list[FileResult],
           catalogue: dict[str, Rule], style: Style = PLAIN) -> str:
    """The report text; each format's module is imported only when used. Only the text
    formats are ever coloured: the others are read by programs."""
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
    return render_concise(rows, style) if output_format == "concise" else render_full(rows, style)
