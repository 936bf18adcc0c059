"""The command line: `check` (also the default), `rules`, `rule`, `config`, `image`,
`server-requirements` and `clean`. It parses arguments and calls the layers below.

Exit codes: 0 no findings, 1 findings, 2 usage, config or internal error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import NamedTuple

import click

from flowlint import __version__
from flowlint.catalogue import (
    CatalogueError,
    Rule,
    load_catalogue,
    render_rule_doc,
    rule_by_code_or_name,
)
from flowlint.config import ConfigError
from flowlint.files import CACHE_DIR, FileTooLarge, files_to_read, read_limited
from flowlint.kestra.plugin_types import parse_version
from flowlint.lint import FileResult, Settings
from flowlint.remedies.fix_options import STRATEGIES
from flowlint.report import FORMATS, TEXT_FORMATS, render
from flowlint.report.rows import reported
from flowlint.report.style import PLAIN, RULE_DOCS, choose_style
from flowlint.report.summary import (
    EXIT_CLEAN,
    EXIT_ERROR,
    EXIT_FINDINGS,
    SEVERITIES,
    at_or_above,
    collect,
    error_lines,
    exit_status,
    skipped_lines,
    statistics_report,
    summary_lines,
)
from flowlint.run.cache_location import cache_location, removable
from flowlint.run.pipeline import FileOutcome, Mode, process_file, process_files
from flowlint.settings import CommandLine, ConfigResolver, SettingsResolver
from flowlint.source import DEFAULT_MAX_BYTES


class DefaultToCheck(click.Group):
    """`flowlint [OPTIONS] PATHS` means `flowlint check [OPTIONS] PATHS`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        first = next((arg for arg in args if arg not in ("--help", "-h", "--version")), None)
        if args and first is not None and first not in self.commands:
            self._refuse_a_typo(ctx, first)
            args = ["check", *args]
        return super().parse_args(ctx, args)

    def _refuse_a_typo(self, ctx: click.Context, first: str) -> None:
        """`flowlint chek` is a mistyped command, not a file to check that does not exist."""
        import difflib

        if first.startswith("-") or os.path.exists(first) or "/" in first or "." in first:
            return
        close = difflib.get_close_matches(first, list(self.commands), n=2, cutoff=0.6)
        if close:
            ctx.fail(f"No such command '{first}' (did you mean "
                     f"{' or '.join(repr(name) for name in close)}?)")


@click.group(cls=DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="flowlint")
def main_group() -> None:
    """Find and fix package installs that run on every execution of a Kestra flow."""


def _split_codes(values: tuple[str, ...]) -> list[str]:
    return [code for value in values for code in value.split(",") if code.strip()]


def _selectors(values: tuple[str, ...], option: str) -> tuple[str, ...]:
    """Codes, prefixes or rule names, comma-separated or repeated; an unknown one is a
    usage error (exit 2) with a did-you-mean, never a selection that checks nothing."""
    from flowlint.catalogue import UnknownSelector, resolve_selectors

    codes = _split_codes(values)
    if values and not codes:   # `--select ''` would otherwise quietly mean "the defaults"
        raise click.BadParameter("names no rule", param_hint=f"'{option}'")
    try:
        return resolve_selectors(_catalogue(), codes)
    except UnknownSelector as error:
        raise click.BadParameter(str(error), param_hint=f"'{option}'") from None


def _target_version(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        version = parse_version(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a version like 1.0 or 0.18") from None
    if not (0, 15) <= version <= (2, 0):
        raise click.BadParameter(f"{value} is outside the supported range 0.15 to 2.0")
    return f"{version[0]}.{version[1]}"


class CheckOptions(NamedTuple):
    """The options of `check`, as click names them."""

    select: tuple[str, ...]
    ignore: tuple[str, ...]
    extend_select: tuple[str, ...]
    extend_ignore: tuple[str, ...]
    exclude: tuple[str, ...]
    extend_exclude: tuple[str, ...]
    no_respect_gitignore: bool
    force_exclude: bool
    output_format: str | None
    output_file: str | None
    exit_zero: bool
    exit_on: str
    color: str
    statistics: bool
    quiet: bool
    verbose: bool
    target_version: str | None
    max_file_size: int | None
    config_path: str | None
    isolated: bool
    no_ignores: bool
    fix: bool
    unsafe_fixes: bool
    diff: bool
    show_fixes: bool
    exit_non_zero_on_fix: bool
    strategy: str | None
    image: str | None
    stdin_filename: str | None
    jobs: int | None
    no_cache: bool
    show_files: bool
    show_settings: bool
    cache_dir: str | None


@main_group.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (comma-separated).")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--extend-select", multiple=True,
              help="Rules to enable on top of the config's selection.")
@click.option("--extend-ignore", multiple=True, help="Rules to disable (same as --ignore).")
@click.option("--exclude", multiple=True, help="Glob of files or folders to skip when walking.")
@click.option("--extend-exclude", multiple=True,
              help="More globs to skip (added, as --exclude, to the config's exclude).")
@click.option("--no-respect-gitignore", is_flag=True,
              help="Also check files that .gitignore and .ignore files ignore.")
@click.option("--force-exclude", is_flag=True,
              help="Apply exclusions to files named on the command line too (pre-commit).")
@click.option("--format", "--output-format", "output_format", type=click.Choice(FORMATS),
              default=None,
              help="Output format [default: full; github when GITHUB_ACTIONS=true].")
@click.option("--output-file", "-o", type=click.Path(dir_okay=False),
              help="Write the report to this file instead of standard output.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings remain.")
@click.option("--exit-on", type=click.Choice(SEVERITIES), default="info", show_default=True,
              help="Lowest severity that makes the exit status 1.")
@click.option("--color", type=click.Choice(("auto", "always", "never")), default="auto",
              show_default=True,
              help="Colour the text formats (auto: on a terminal, unless NO_COLOR is set).")
@click.option("--statistics", is_flag=True,
              help="Print the count of findings per rule instead of the findings "
                   "(a table, or JSON with --format json).")
@click.option("--quiet", "-q", is_flag=True, help="Print findings only, no summary.")
@click.option("--verbose", "-v", is_flag=True, help="Say which files and documents were skipped.")
@click.option("--target-version", callback=lambda _c, _p, value: _target_version(value),
              help="Kestra version the flows run on, 0.15 to 2.0 [default: 1.0].")
@click.option("--max-file-size", type=click.IntRange(min=1),
              help=f"Skip files larger than this many bytes [default: {DEFAULT_MAX_BYTES}].")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Use this config file for every file (no discovery).")
@click.option("--isolated", is_flag=True, help="Ignore all config files.")
@click.option("--no-ignores", is_flag=True,
              help="Report findings even where `# flowlint: ignore` comments suppress them.")
@click.option("--fix", is_flag=True, help="Apply safe fixes to the files.")
@click.option("--unsafe-fixes", is_flag=True, help="Apply unsafe fixes too (with --fix or --diff).")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option("--show-fixes", is_flag=True, help="List the fixes applied to each file.")
@click.option("--exit-non-zero-on-fix", is_flag=True, help="Exit 1 when a file was fixed.")
@click.option("--strategy", type=click.Choice(("auto", *STRATEGIES)),
              help="Remedy the fixes write [default: auto, or fix.strategy in the config].")
@click.option("--image", help="Image for --strategy custom-image ({namespace} {flow} {task}).")
@click.option("--stdin-filename", help="Name of the flow read from standard input (PATH '-').")
@click.option("--jobs", "-j", type=click.IntRange(min=1),
              help="Processes to check files with [default: the number of cores].")
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@click.option("--show-files", is_flag=True,
              help="List the files that would be checked, and check nothing.")
@click.option("--show-settings", is_flag=True,
              help="Print the settings the first file would be checked with, and check nothing.")
@click.option("--cache-dir", type=click.Path(file_okay=False),
              help=f"Result cache folder [default: {CACHE_DIR} beside the config file, or at "
                   f"the git root; or FLOWLINT_CACHE_DIR].")
def check(paths: tuple[str, ...], **given: object) -> None:
    """Check Kestra flow files (default: the current folder); fix them with --fix."""
    options = CheckOptions(**given)   # type: ignore[arg-type]
    if options.statistics and options.output_format not in (None, *TEXT_FORMATS, "json"):
        raise click.UsageError(f"--statistics is a report of its own: it prints a table, or "
                               f"JSON with --format json, not {options.output_format}")
    command_line = CommandLine(_selectors(options.select, "--select") or None,
                               (*_selectors(options.ignore, "--ignore"),
                                *_selectors(options.extend_ignore, "--extend-ignore")),
                               options.target_version, options.max_file_size,
                               options.strategy, options.image, not options.no_ignores,
                               _selectors(options.extend_select, "--extend-select"))
    settings = _settings_resolver(command_line, options.config_path, options.isolated)
    output_format = options.output_format or _default_format()
    mode = Mode(fix=options.fix or options.diff, unsafe=options.unsafe_fixes, diff=options.diff)
    catalogue = settings.catalogue
    quiet = options.quiet
    if paths == ("-",) or options.stdin_filename:
        name = options.stdin_filename or "-"
        outcomes = [_check_stdin(name, settings.for_path(name), mode)]
        rows = reported([outcomes[0].result], catalogue)
    else:
        unlisted: list[tuple[str, str]] = []
        ignored: list[str] | None = [] if options.verbose else None
        files = files_to_read(paths, (*options.exclude, *options.extend_exclude),
                              options.force_exclude, settings.excluded, unlisted,
                              respect_gitignore=not options.no_respect_gitignore,
                              ignored=ignored)
        if options.show_files or options.show_settings:
            _show(files, unlisted, settings, options)
        cache_root = None
        if not (options.no_cache or mode.fix):
            cache_root = cache_location(options.cache_dir, settings.configs.for_path(".").path)
        outcomes, rows = collect(process_files([(path, settings.for_path(path))
                                                for path in files], mode, cache_root,
                                               options.jobs or os.cpu_count() or 1),
                                 catalogue, keep_sources=output_format == "sarif")
        outcomes += [FileOutcome(FileResult(folder, error=why)) for folder, why in unlisted]
        if not files and not unlisted:
            # Not "All checks passed": a CI job must not pass while checking nothing.
            click.echo(f"flowlint: warning: no YAML files under {' '.join(paths) or '.'}; "
                       "nothing was checked", err=True)
            quiet = True
        if options.verbose:
            _echo_lines([f"{path}: skipped: ignored by .gitignore or .ignore "
                         "(--no-respect-gitignore checks it)" for path in ignored or ()])
            _echo_lines(skipped_lines(outcomes))
    results = [outcome.result for outcome in outcomes]
    # The fixed flow (editor mode) or the diff owns stdout; the report goes to stderr then.
    to_stderr = bool(outcomes) and (mode.diff or (mode.fix and not mode.write_files(
        paths, options.stdin_filename)))
    style = PLAIN
    if output_format in TEXT_FORMATS and not options.output_file:
        style = choose_style(options.color, sys.stderr if to_stderr else sys.stdout)
    if options.statistics:
        report = statistics_report(rows, output_format == "json")
    else:
        report = render(output_format, rows, results, catalogue, style)
    _emit(report, options.output_file, to_stderr, colour=style.colour)
    _print_fix_output(outcomes, mode, options.show_fixes, to_stderr)
    _echo_lines(error_lines(outcomes))
    if not quiet and not options.statistics and output_format in TEXT_FORMATS:
        _echo_lines(summary_lines(outcomes, rows, mode))
    failing = at_or_above(rows, options.exit_on)
    raise SystemExit(exit_status(outcomes, failing, mode, options.exit_zero,
                                 options.exit_non_zero_on_fix))


def _show(files: list[str], unlisted: list[tuple[str, str]], settings: SettingsResolver,
          options: CheckOptions) -> None:
    """--show-files and --show-settings: what a check would read, and with what."""
    for folder, why in unlisted:
        click.echo(f"flowlint: error: {folder}: {why}", err=True)
    if options.show_files:
        for path in files:
            click.echo(path)
    if options.show_settings:
        from flowlint.report.settings_text import resolved_settings_text

        path = files[0] if files else "."
        run = {"cache-dir": "none (--no-cache)" if options.no_cache else cache_location(
            options.cache_dir, settings.configs.for_path(".").path),
            "respect-gitignore": not options.no_respect_gitignore}
        click.echo(resolved_settings_text(path, settings.configs.for_path(path),
                                          settings.for_path(path), run), nl=False)
    raise SystemExit(EXIT_ERROR if unlisted else EXIT_CLEAN)


def _echo_lines(lines: list[str]) -> None:
    for line in lines:
        click.echo(line, err=True)


def _settings_resolver(command_line: CommandLine, config_path: str | None,
                       isolated: bool) -> SettingsResolver:
    # A ConfigError raised here or later is reported by main() with exit code 2.
    return SettingsResolver(_catalogue(), ConfigResolver(config_path, isolated), command_line)


def _default_format() -> str:
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "full"


def _check_stdin(name: str, settings: Settings, mode: Mode) -> FileOutcome:
    try:   # at most max-file-size bytes: an endless or huge input is refused, not kept
        data = read_limited(sys.stdin.buffer, settings.max_bytes)
    except FileTooLarge as error:
        return FileOutcome(FileResult(name, error=str(error)))
    return process_file(name, settings, mode._replace(write=False), data)


def _print_fix_output(outcomes: list[FileOutcome], mode: Mode, show_fixes: bool,
                      stdin: bool) -> None:
    for outcome in outcomes:
        if stdin and mode.fix and not mode.diff:
            # Editor mode: the fixed flow (or the original, when nothing changed) on stdout.
            text = outcome.fixed_text
            if text is None and outcome.result.source is not None:
                text = outcome.result.source.text
            if text is not None:
                click.echo(text, nl=False)
        if outcome.diff:
            click.echo(outcome.diff, nl=False)
        if show_fixes and outcome.applied:
            for line in outcome.applied:
                click.echo(f"{outcome.result.path}: fixed {line}", err=True)


def _catalogue() -> dict:
    try:
        return load_catalogue()
    except CatalogueError as error:
        click.echo(f"flowlint: error: {error}", err=True)
        raise SystemExit(EXIT_ERROR) from None


def _emit(text: str, output_file: str | None, to_stderr: bool = False,
          colour: bool = False) -> None:
    if output_file:
        _write_report(output_file, text)
    elif text:   # click strips escapes it was not told to keep
        click.echo(text, nl=False, err=to_stderr, color=colour or None)


def _write_report(path: str, text: str) -> None:
    """Write the report whole or not at all: a regular file (or a new one) through a
    temporary file renamed over it, anything else (/dev/stdout, a pipe) directly. A full disk
    or a missing folder is exit 2 with the reason, never a traceback or half a report."""
    import stat
    import tempfile

    temporary = None
    try:
        if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
            return
        # Beside the file a link points to: a rename cannot cross file systems.
        folder = os.path.dirname(os.path.realpath(path))
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".flowlint-report-",
                                                 suffix=".tmp")
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, _report_mode(path))
        os.replace(temporary, os.path.realpath(path))   # through a link, as `>` would
    except OSError as error:
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)
        click.echo(f"flowlint: error: cannot write the report to {path}: "
                   f"{error.strerror or error}", err=True)
        raise SystemExit(EXIT_ERROR) from None


@main_group.command("config")
@click.argument("path", default=".", type=click.Path())
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Use this config file instead of discovery.")
@click.option("--isolated", is_flag=True, help="Ignore all config files.")
def config_command(path: str, config_path: str | None, isolated: bool) -> None:
    """Print the settings that apply to PATH and the config file they come from."""
    settings = _settings_resolver(CommandLine(), config_path, isolated)
    config = settings.configs.for_path(path)
    defaults = {code: dict(rule.parameters) for code, rule in settings.catalogue.items()}
    from flowlint.report.settings_text import effective_settings_text

    click.echo(effective_settings_text(config, defaults), nl=False)


def _reading_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options by which `image` and `server-requirements` read flows as `check` does."""
    for option in reversed((
        click.argument("paths", nargs=-1, type=click.Path()),
        click.option("--exclude", multiple=True, help="Glob of files or folders to skip."),
        click.option("--target-version", callback=lambda _c, _p, value: _target_version(value),
                     help="Kestra version the flows run on [default: 1.0, or the config]."),
        click.option("--config", "config_path", type=click.Path(dir_okay=False),
                     help="Use this config file for every file (no discovery)."),
        click.option("--isolated", is_flag=True, help="Ignore all config files."),
    )):
        command = option(command)
    return command


@main_group.command("image")
@_reading_options
@click.option("--output", "-o", "output", required=True, type=click.Path(file_okay=False),
              help="Folder to write one build context per image name into.")
@click.option("--image", help="Image name template, as for `check --fix --strategy "
              "custom-image` ({namespace} {flow} {task}) [default: fix.image of the config].")
def image_command(paths: tuple[str, ...], output: str, image: str | None,
                  exclude: tuple[str, ...], target_version: str | None,
                  config_path: str | None, isolated: bool) -> None:
    """Write Dockerfiles and requirements.txt with the packages tasks install per run."""
    from flowlint.remedy_files.image_contexts import (
        ContextWriteError,
        build_image_contexts,
    )

    settings = _settings_resolver(CommandLine(target_version=target_version, image=image),
                                  config_path, isolated)
    plan = build_image_contexts(paths or (".",), excludes=exclude, file_settings=settings)
    for problem in plan.problems:
        click.echo(f"flowlint: {problem}", err=True)
    try:
        written = plan.write(output)
    except ContextWriteError as error:
        click.echo(f"flowlint: error: {error}", err=True)
        raise SystemExit(EXIT_ERROR) from None
    for path in written:
        click.echo(path)
    if not plan.contexts:
        click.echo("flowlint: no build context written (see above)" if plan.problems else
                   "no per-execution installs found to bake into an image", err=True)
    if plan.unread:
        raise SystemExit(EXIT_ERROR)
    if plan.problems:   # installs left without a context: the job is not done
        raise SystemExit(EXIT_FINDINGS)


@main_group.command("server-requirements")
@_reading_options
@click.option("--format", "output_format", default="all", show_default=True,
              type=click.Choice(("all", "requirements", "shell", "compose")),
              help="Everything, explained; or one form alone, to redirect into a file: "
                   "requirements.txt, a shell script or a docker-compose service.")
def server_requirements_command(paths: tuple[str, ...], exclude: tuple[str, ...],
                                target_version: str | None, config_path: str | None,
                                isolated: bool, output_format: str) -> None:
    """Print the packages to install at server start for the process-runner remedy."""
    from flowlint.remedy_files.server_requirements import build_server_requirements

    settings = _settings_resolver(CommandLine(target_version=target_version), config_path,
                                  isolated)
    requirements = build_server_requirements(paths or (".",), excludes=exclude,
                                             file_settings=settings)
    for problem in requirements.problems:
        click.echo(f"flowlint: {problem}", err=True)
    if output_format != "all" and not requirements.requirements:
        click.echo("flowlint: no Python package installs that run on every execution "
                   "(FL001, FL002, FL004) found", err=True)
    click.echo(requirements.rendered(output_format), nl=False)
    if requirements.unread:
        raise SystemExit(EXIT_ERROR)
    if requirements.problems:   # installs it could not merge or move: say so in the status
        raise SystemExit(EXIT_FINDINGS)


@main_group.command("clean")
@click.option("--cache-dir", type=click.Path(file_okay=False),
              help="The result cache folder, if not the one `check` finds.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="The config file whose folder holds the cache.")
def clean_command(cache_dir: str | None, config_path: str | None) -> None:
    """Remove the result cache (.flowlint_cache/ of the project: see `check --cache-dir`)."""
    from flowlint.run.result_cache import clean

    config = ConfigResolver(config_path).for_path(".")
    root = cache_location(cache_dir, config.path)
    if not removable(root):
        click.echo(f"flowlint: error: {root}/ is not a flowlint result cache (no marker "
                   "written by flowlint); not removed", err=True)
        raise SystemExit(EXIT_ERROR)
    try:
        removed = clean(root)
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        click.echo(f"flowlint: error: {root}/ not removed{where}: "
                   f"{error.strerror or error}", err=True)
        raise SystemExit(EXIT_ERROR) from None
    click.echo(f"removed {root}/" if removed else f"no result cache at {root}/", err=True)


@main_group.command("rules")
@click.option("--format", "output_format", type=click.Choice(("text", "json")),
              default="text", show_default=True, help="A table, or JSON for programs.")
def rules_command(output_format: str) -> None:
    """List the rule catalogue."""
    catalogue = _catalogue()
    if output_format == "json":
        import json

        click.echo(json.dumps([rule_record(rule) for rule in catalogue.values()], indent=2))
        return
    width = max(len(rule.name) for rule in catalogue.values())
    for rule in catalogue.values():
        fix = "fix" if rule.fixable else "   "
        default = "" if rule.enabled_by_default else "  (off by default)"
        click.echo(f"{rule.code}  {rule.name:<{width}}  {rule.severity:<7}  {fix}  "
                   f"{rule.summary}{default}")


def rule_record(rule: Rule) -> dict[str, object]:
    """A rule as `rules --format json` lists it."""
    return {"code": rule.code, "name": rule.name, "severity": rule.severity,
            "fixable": rule.fixable, "enabled_by_default": rule.enabled_by_default,
            "summary": rule.summary, "parameters": dict(rule.parameters),
            "url": RULE_DOCS.format(code=rule.code)}


@main_group.command("rule")
@click.argument("code")
def rule_command(code: str) -> None:
    """Show the documentation of one rule (code or name)."""
    rule = rule_by_code_or_name(_catalogue(), code)
    if rule is None:
        from flowlint.catalogue import closest_choice

        catalogue = _catalogue()
        close = closest_choice(code, [*catalogue, *(rule.name for rule in catalogue.values())])
        hint = f"did you mean '{close}'?" if close else "see `flowlint rules`"
        click.echo(f"flowlint: error: no rule '{code}' ({hint})", err=True)
        raise SystemExit(EXIT_ERROR)
    click.echo(render_rule_doc(rule))


@main_group.command("server")
def server_command() -> None:
    """Run the language server on standard input and output (for editors)."""
    from flowlint.lsp.server import serve

    raise SystemExit(serve())


def main(argv: list[str] | None = None) -> int:
    try:
        main_group.main(args=argv, prog_name="flowlint", standalone_mode=False)
    except SystemExit as stop:
        return int(stop.code or 0)
    except click.exceptions.Abort:
        return EXIT_ERROR
    except ConfigError as error:
        click.echo(f"flowlint: error: {error}", err=True)
        return EXIT_ERROR
    except click.ClickException as error:
        error.show()
        return EXIT_ERROR
    except BrokenPipeError:
        # `flowlint check | head`: the reader left; say nothing more on a closed pipe.
        _silence_stdout()
        return EXIT_ERROR
    except OSError as error:   # standard output or error unwritable: a full disk, say
        _silence_stdout()
        click.echo(f"flowlint: error: cannot write the output: {error.strerror or error}",
                   err=True)
        return EXIT_ERROR
    return EXIT_CLEAN


def _report_mode(path: str) -> int:
    """The mode the report would have had if written with `>`: the old file's, or the
    default for a new file under the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's final flush of what could not
    be written raises nothing at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
