"""The command line: `flowlint check`, `flowlint rules`, `flowlint rule CODE`.

Exit codes: 0 no findings, 1 findings, 2 usage, config or internal error.
"""

from __future__ import annotations

import sys
from collections import Counter

import click

from flowlint import __version__
from flowlint.catalogue import CatalogueError, load_catalogue, render_rule_doc, rule_by_code_or_name
from flowlint.engine import FileResult, Settings, check_bytes, select_rules
from flowlint.files import discover, read_bytes
from flowlint.kestra import parse_version
from flowlint.report import FORMATS, render, reported
from flowlint.source import DEFAULT_MAX_BYTES

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class DefaultToCheck(click.Group):
    """`flowlint [OPTIONS] PATHS` means `flowlint check [OPTIONS] PATHS`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        first = next((arg for arg in args if arg not in ("--help", "-h", "--version")), None)
        if args and first is not None and first not in self.commands:
            args = ["check", *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="flowlint")
def main_group() -> None:
    """Find and fix package installs that run on every execution of a Kestra flow."""


def _split_codes(values: tuple[str, ...]) -> list[str]:
    return [code for value in values for code in value.split(",") if code.strip()]


def _target_version(value: str) -> tuple[int, int]:
    try:
        version = parse_version(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a version like 1.0 or 0.18") from None
    if not (0, 15) <= version <= (2, 0):
        raise click.BadParameter(f"{value} is outside the supported range 0.15 to 2.0")
    return version


@main_group.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (comma-separated).")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--exclude", multiple=True, help="Glob of files or folders to skip when walking.")
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="full",
              show_default=True, help="Output format.")
@click.option("--output-file", "-o", type=click.Path(dir_okay=False),
              help="Write the report to this file instead of standard output.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings remain.")
@click.option("--statistics", is_flag=True, help="Print the count of findings per rule.")
@click.option("--quiet", "-q", is_flag=True, help="Print findings only, no summary.")
@click.option("--verbose", "-v", is_flag=True, help="Say which files and documents were skipped.")
@click.option("--target-version", default="1.0", show_default=True,
              help="Kestra version the flows run on (0.15 to 2.0).")
@click.option("--max-file-size", type=int, default=DEFAULT_MAX_BYTES, show_default=True,
              help="Skip files larger than this many bytes, with an error.")
def check(paths: tuple[str, ...], select: tuple[str, ...], ignore: tuple[str, ...],
          exclude: tuple[str, ...], output_format: str, output_file: str | None,
          exit_zero: bool, statistics: bool, quiet: bool, verbose: bool,
          target_version: str, max_file_size: int) -> None:
    """Check Kestra flow files (default: the current folder)."""
    catalogue = _catalogue()
    rules = select_rules(catalogue, [code for code, rule in catalogue.items()
                                     if rule.enabled_by_default],
                         _split_codes(select), _split_codes(ignore))
    settings = Settings(rules, _target_version(target_version), _parameters(catalogue),
                        max_file_size)
    results = [_check_file(path, settings, verbose) for path in discover(paths or ("."), exclude)]
    rows = reported(results, catalogue)
    _emit(render(output_format, rows, results, catalogue), output_file)
    for result in results:
        if result.error:
            click.echo(f"{result.path}: error: {result.error}", err=True)
    if statistics:
        _print_statistics(rows)
    if not quiet and output_format in ("full", "concise"):
        _print_summary(results, rows)
    if any(result.error for result in results):
        raise SystemExit(EXIT_ERROR)
    raise SystemExit(EXIT_FINDINGS if rows and not exit_zero else EXIT_CLEAN)


def _catalogue() -> dict:
    try:
        return load_catalogue()
    except CatalogueError as error:
        click.echo(f"flowlint: error: {error}", err=True)
        raise SystemExit(EXIT_ERROR) from None


def _parameters(catalogue: dict) -> dict:
    return {code: dict(rule.parameters) for code, rule in catalogue.items()}


def _check_file(path: str, settings: Settings, verbose: bool) -> FileResult:
    try:
        data = read_bytes(path)
    except OSError as error:
        return FileResult(path, error=f"cannot read: {error.strerror or error}")
    try:
        result = check_bytes(data, path, settings)
    except RecursionError:
        return FileResult(path, error="nesting is too deep to check")
    except Exception as error:  # noqa: BLE001 - promise 3: one bad file never stops the run
        return FileResult(path, error=f"internal error ({type(error).__name__}: {error}); "
                                      "please report it with this file")
    if verbose and result.other_documents:
        click.echo(f"{path}: skipped {result.other_documents} YAML document(s) that are not "
                   "Kestra flows (no id, namespace and tasks)", err=True)
    return result


def _emit(text: str, output_file: str | None) -> None:
    if output_file:
        with open(output_file, "w", encoding="utf-8") as handle:
            handle.write(text)
    elif text:
        click.echo(text, nl=False)


def _print_statistics(rows: list) -> None:
    counts = Counter((row.finding.rule, row.name) for row in rows)
    for (code, name), count in sorted(counts.items()):
        click.echo(f"{count:>5}  {code}  {name}")


def _print_summary(results: list[FileResult], rows: list) -> None:
    files = len(results)
    if rows:
        click.echo(f"Found {len(rows)} finding(s) in {files} file(s).", err=True)
    else:
        click.echo(f"All checks passed ({files} file(s)).", err=True)


@main_group.command("rules")
def rules_command() -> None:
    """List the rule catalogue."""
    catalogue = _catalogue()
    width = max(len(rule.name) for rule in catalogue.values())
    for rule in catalogue.values():
        fix = "fix" if rule.fixable else "   "
        default = "" if rule.enabled_by_default else "  (off by default)"
        click.echo(f"{rule.code}  {rule.name:<{width}}  {rule.severity:<7}  {fix}  "
                   f"{rule.summary}{default}")


@main_group.command("rule")
@click.argument("code")
def rule_command(code: str) -> None:
    """Show the documentation of one rule (code or name)."""
    rule = rule_by_code_or_name(_catalogue(), code)
    if rule is None:
        click.echo(f"flowlint: error: no rule '{code}' (see `flowlint rules`)", err=True)
        raise SystemExit(EXIT_ERROR)
    click.echo(render_rule_doc(rule))


def main(argv: list[str] | None = None) -> int:
    try:
        main_group.main(args=argv, prog_name="flowlint", standalone_mode=False)
    except SystemExit as stop:
        return int(stop.code or 0)
    except click.exceptions.Abort:
        return EXIT_ERROR
    except click.ClickException as error:
        error.show()
        return EXIT_ERROR
    return EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
