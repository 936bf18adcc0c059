"""The `github` format: GitHub Actions workflow commands, shown as annotations on the diff."""

from __future__ import annotations

from flowlint.lint import FileResult
from flowlint.report.rows import Reported

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    """The message after `::`; `%` first so the escapes themselves are not escaped again."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A `key=value` value: also `:` and `,`, which would end the value early."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: dict[str, object], message: str) -> str:
    fields = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{name} {fields}::{escape_data(message)}"


def finding_command(row: Reported) -> str:
    title = f"{row.finding.rule} {row.name}".rstrip()
    properties = {"file": row.path, "line": row.line, "col": row.column,
                  "endLine": row.end_line, "endColumn": row.end_column, "title": title}
    return command(COMMANDS.get(row.severity, "error"), properties, row.finding.message_and_help)


def render_github(rows: list[Reported], results: list[FileResult]) -> str:
    lines = [finding_command(row) for row in rows]
    lines.extend(command("error", {"file": result.path}, result.error)
                 for result in results if result.error)
    return "".join(line + "\n" for line in lines)
