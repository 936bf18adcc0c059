"""`flowlint check` once its arguments are read: find the files, check (and fix) them, write
the report and the summary, and choose the exit status.

No click here: flowlint.cli runs a check of flags and paths alone (what pre-commit and editors
run) without importing click, and flowlint.commands (click) calls the same `run_check` for
every other command line. Exit codes: 0 no findings, 1 findings, 2 usage, config or internal
error.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable

from flowlint.catalogue import CatalogueError, load_catalogue
from flowlint.config import ConfigError
from flowlint.files import BY_CONFIG, FileTooLarge, Skipped, files_to_read, read_limited
from flowlint.lint import FileResult, Settings
from flowlint.records import NamedTuple
from flowlint.report import FIX_FORMATS, TEXT_FORMATS, render
from flowlint.report.rows import reported
from flowlint.report.style import PLAIN, choose_style
from flowlint.report.summary import (
    EXIT_CLEAN,
    EXIT_ERROR,
    at_or_above,
    collect,
    error_lines,
    exit_status,
    skipped_lines,
    statistics_report,
    summary_lines,
)
from flowlint.run.cache_location import cache_location
from flowlint.run.pipeline import FileOutcome, Mode, process_file, process_files
from flowlint.settings import CommandLine, ConfigResolver, SettingsResolver


class CheckOptions(NamedTuple):
    """The options of `check` as click names them, with click's defaults; rule selectors are
    already resolved to codes and the target version normalised."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    extend_ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    no_respect_gitignore: bool = False
    force_exclude: bool = False
    output_format: str | None = None
    output_file: str | None = None
    exit_zero: bool = False
    exit_on: str = "info"
    color: str = "auto"
    statistics: bool = False
    quiet: bool = False
    verbose: bool = False
    target_version: str | None = None
    max_file_size: int | None = None
    config_path: str | None = None
    isolated: bool = False
    no_ignores: bool = False
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False
    show_fixes: bool = False
    exit_non_zero_on_fix: bool = False
    strategy: str | None = None
    image: str | None = None
    stdin_filename: str | None = None
    jobs: int | None = None
    no_cache: bool = False
    show_files: bool = False
    show_settings: bool = False
    cache_dir: str | None = None


def run_check(paths: tuple[str, ...], options: CheckOptions) -> None:
    """Check `paths` (the current folder when empty); ends with SystemExit(exit status)."""
    command_line = CommandLine(options.select or None,
                               (*options.ignore, *options.extend_ignore),
                               options.target_version, options.max_file_size,
                               options.strategy, options.image, not options.no_ignores,
                               options.extend_select)
    settings = settings_resolver(command_line, options.config_path, options.isolated)
    output_format = options.output_format or _default_format()
    mode = Mode(fix=options.fix or options.diff, unsafe=options.unsafe_fixes, diff=options.diff)
    catalogue = settings.catalogue
    quiet = options.quiet
    if "-" in paths and len(paths) > 1:
        # Standard input is read once, alone: `- -` or `- a.yaml` read a file named `-`.
        echo("flowlint: error: `-` (standard input) is a path of its own: give it once, "
             "without other paths", err=True)
        raise SystemExit(EXIT_ERROR)
    if options.stdin_filename and paths not in ((), ("-",)):
        # It reads standard input: the paths would be passed over without a word.
        echo("flowlint: error: --stdin-filename reads the flow from standard input: give `-` "
             "or no path, not " + " ".join(paths), err=True)
        raise SystemExit(EXIT_ERROR)
    if paths == ("-",) or options.stdin_filename:
        name = options.stdin_filename or "-"
        outcomes = [_check_stdin(name, settings.for_path(name), mode)]
        rows = reported([outcomes[0].result], catalogue)
    else:
        unlisted: list[tuple[str, str]] = []
        skipped: Skipped | None = [] if options.verbose else None
        files = files_to_read(paths, (*options.exclude, *options.extend_exclude),
                              options.force_exclude, settings.excluded, unlisted,
                              respect_gitignore=not options.no_respect_gitignore,
                              skipped=skipped, listed=settings.configs.listed)
        if options.show_files or options.show_settings:
            _show(files, unlisted, settings, options)
        cache_root = None
        if not (options.no_cache or mode.fix):
            cache_root = cache_location(options.cache_dir, settings.configs.for_path(".").path)
        with_fixes = output_format in FIX_FORMATS and not options.statistics
        outcomes, rows = collect(process_files([(path, settings.for_path(path, False))
                                                for path in files], mode, cache_root,
                                               options.jobs or os.cpu_count() or 1,
                                               with_fixes),
                                 catalogue, keep_sources=output_format == "sarif")
        outcomes += [FileOutcome(FileResult(folder, error=why)) for folder, why in unlisted]
        if not files and not unlisted:
            # Not "All checks passed": a CI log must not read as a pass when nothing was
            # checked (the exit status stays 0, as ruff's does).
            echo(f"flowlint: warning: no YAML files under {' '.join(paths) or '.'}; "
                 "nothing was checked", err=True)
            quiet = True
        if options.verbose:
            _echo_lines([_skipped_line(path, why, settings) for path, why in skipped or ()])
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
    _emit(report, options.output_file, to_stderr)
    _print_fix_output(outcomes, mode, options.show_fixes, to_stderr)
    _echo_lines(error_lines(outcomes))
    if not quiet and not options.statistics and output_format in TEXT_FORMATS:
        _echo_lines(summary_lines(outcomes, rows, mode))
    failing = at_or_above(rows, options.exit_on)
    raise SystemExit(exit_status(outcomes, failing, mode, options.exit_zero,
                                 options.exit_non_zero_on_fix))


def guarded(command: Callable[[], None]) -> int:
    """Run a command to its exit status; a config error or unwritable output is a message and
    exit 2, never a traceback."""
    try:
        command()
    except SystemExit as stop:
        return int(stop.code or 0)
    except KeyboardInterrupt:   # Ctrl-C: no traceback; files are written whole or not at all
        echo("", err=True)
        return EXIT_ERROR
    except ConfigError as error:
        echo(f"flowlint: error: {error}", err=True)
        return EXIT_ERROR
    except BrokenPipeError:
        # `flowlint check | head`: the reader left; say nothing more on a closed pipe.
        _silence_stdout()
        return EXIT_ERROR
    except OSError as error:   # standard output or error unwritable: a full disk, say
        _silence_stdout()
        with contextlib.suppress(OSError):   # stderr may be the stream that failed
            echo(f"flowlint: error: cannot write the output: {error.strerror or error}",
                 err=True)
        return EXIT_ERROR
    except Exception as error:  # noqa: BLE001 - a bug: exit 2 as documented, not 1 (findings)
        import traceback

        with contextlib.suppress(OSError, ValueError):
            traceback.print_exc()
            echo(f"flowlint: internal error ({type(error).__name__}: {error}); please report "
                 "it with the command and the files it read", err=True)
        return EXIT_ERROR
    return EXIT_CLEAN


def echo(text: str, err: bool = False, nl: bool = True) -> None:
    """Write a line (or, with nl=False, text as it is) to standard output or error: nothing
    when the stream was closed before the run (`>&-`), and UTF-8 whatever the locale."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    _write_utf8(stream)
    stream.write(f"{text}\n" if nl else text)
    stream.flush()


def _write_utf8(stream: object) -> None:
    """Flows are UTF-8, and so is what flowlint prints (a fixed flow in editor mode
    included): an ASCII or Latin-1 locale must not turn a report into a traceback, nor a
    file name that is not UTF-8 (read with escapes, written back as `\\udcff`, as under a
    UTF-8 locale: the C locale's surrogateescape would write its raw byte, and a JSON or
    SARIF report would no longer be UTF-8)."""
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
    if (encoding not in ("utf-8", "utf8")
            or getattr(stream, "errors", None) in ("strict", "surrogateescape")) \
            and hasattr(stream, "reconfigure"):
        stream.reconfigure(encoding="utf-8", errors="backslashreplace")


def load_rules() -> dict:
    """The rule catalogue; a broken one is exit 2 with the reason."""
    try:
        return load_catalogue()
    except CatalogueError as error:
        echo(f"flowlint: error: {error}", err=True)
        raise SystemExit(EXIT_ERROR) from None


def settings_resolver(command_line: CommandLine, config_path: str | None,
                      isolated: bool) -> SettingsResolver:
    # A ConfigError raised here or later is reported by guarded() with exit code 2.
    return SettingsResolver(load_rules(), ConfigResolver(config_path, isolated), command_line)


def _show(files: list[str], unlisted: list[tuple[str, str]], settings: SettingsResolver,
          options: CheckOptions) -> None:
    """--show-files and --show-settings: what a check would read, and with what."""
    for folder, why in unlisted:
        echo(f"flowlint: error: {folder}: {why}", err=True)
    if options.show_files:
        for path in files:
            echo(path)
    if options.show_settings:
        from flowlint.report.settings_text import resolved_settings_text

        path = files[0] if files else "."
        run = {"cache-dir": "none (--no-cache)" if options.no_cache else cache_location(
            options.cache_dir, settings.configs.for_path(".").path),
            "respect-gitignore": not options.no_respect_gitignore}
        echo(resolved_settings_text(path, settings.configs.for_path(path),
                                    settings.for_path(path), run), nl=False)
    raise SystemExit(EXIT_ERROR if unlisted else EXIT_CLEAN)


def _skipped_line(path: str, why: str, settings: SettingsResolver) -> str:
    """What --verbose says of a path the walk left out: why, and which config file excluded
    it."""
    if why == BY_CONFIG:
        config = settings.configs.for_path(path, False).path
        try:
            shown = os.path.relpath(config) if config else "the config"
        except ValueError:   # another drive, on Windows
            shown = str(config)
        why = f"excluded by `exclude` in {shown}"
    return f"{path}: skipped: {why}"


def _echo_lines(lines: list[str]) -> None:
    for line in lines:
        echo(line, err=True)


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
                echo(text, nl=False)
        if outcome.diff:
            echo(outcome.diff, nl=False)
        if show_fixes and outcome.applied:
            for line in outcome.applied:
                echo(f"{outcome.result.path}: fixed {line}", err=True)


def _emit(text: str, output_file: str | None, to_stderr: bool = False) -> None:
    if output_file:
        _write_report(output_file, text)
    elif text:
        echo(text, err=to_stderr, nl=False)


# A file name that is not UTF-8 (read with escapes) is written as `\udcff`, as on the screen.
REPORT_ERRORS = "backslashreplace"


def _write_report(path: str, text: str) -> None:
    """Write the report whole or not at all: a regular file (or a new one) through a
    temporary file renamed over it, anything else (/dev/stdout, a pipe) directly. A full disk
    or a missing folder is exit 2 with the reason, never a traceback or half a report."""
    import stat
    import tempfile

    temporary = None
    try:
        if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
            with open(path, "w", encoding="utf-8", errors=REPORT_ERRORS) as handle:
                handle.write(text)
            return
        # Beside the file a link points to: a rename cannot cross file systems.
        folder = os.path.dirname(os.path.realpath(path))
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".flowlint-report-",
                                                 suffix=".tmp")
        with os.fdopen(descriptor, "w", encoding="utf-8", errors=REPORT_ERRORS) as handle:
            handle.write(text)
        os.chmod(temporary, _report_mode(path))
        os.replace(temporary, os.path.realpath(path))   # through a link, as `>` would
    except OSError as error:
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)
        echo(f"flowlint: error: cannot write the report to {path}: "
             f"{error.strerror or error}", err=True)
        raise SystemExit(EXIT_ERROR) from None


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
