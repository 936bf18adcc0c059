"""The whole command line, read by click: `check` (also the default), `rules`, `rule`,
`config`, `image`, `server-requirements`, `clean` and `server`. flowlint.cli sends here every
command line that is not a check of flags and paths alone.

Exit codes: 0 no findings, 1 findings, 2 usage, config or internal error.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import click

from flowlint import __version__
from flowlint.catalogue import Rule, render_rule_doc, rule_by_code_or_name
from flowlint.check_command import (
    CheckOptions,
    guarded,
    load_rules,
    run_check,
    settings_resolver,
)
from flowlint.files import CACHE_DIR
from flowlint.kestra.plugin_types import parse_version
from flowlint.remedies.fix_options import STRATEGIES
from flowlint.report import FORMATS, TEXT_FORMATS
from flowlint.report.style import RULE_DOCS
from flowlint.report.summary import EXIT_ERROR, EXIT_FINDINGS, SEVERITIES
from flowlint.run.cache_location import cache_location, removable
from flowlint.settings import CommandLine, ConfigResolver
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
        return resolve_selectors(load_rules(), codes)
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


@main_group.command()
# readable=False: a file or folder that cannot be read is reported by the check (exit 2, the
# other files checked), the same whether click or flowlint.cli read the command line.
@click.argument("paths", nargs=-1, type=click.Path(readable=False))
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
    run_check(paths, options._replace(
        select=_selectors(options.select, "--select"),
        ignore=_selectors(options.ignore, "--ignore"),
        extend_ignore=_selectors(options.extend_ignore, "--extend-ignore"),
        extend_select=_selectors(options.extend_select, "--extend-select")))


@main_group.command("config")
@click.argument("path", default=".", type=click.Path())
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Use this config file instead of discovery.")
@click.option("--isolated", is_flag=True, help="Ignore all config files.")
def config_command(path: str, config_path: str | None, isolated: bool) -> None:
    """Print the settings that apply to PATH and the config file they come from."""
    settings = settings_resolver(CommandLine(), config_path, isolated)
    config = settings.configs.for_path(path)
    settings.for_path(path)   # an unknown rule or option value is exit 2 here too, as for `check`
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

    settings = settings_resolver(CommandLine(target_version=target_version, image=image),
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

    settings = settings_resolver(CommandLine(target_version=target_version), config_path,
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
    catalogue = load_rules()
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
            "choices": {name: list(values) for name, values in rule.choices.items()},
            "url": RULE_DOCS.format(code=rule.code)}


@main_group.command("rule")
@click.argument("code")
def rule_command(code: str) -> None:
    """Show the documentation of one rule (code or name)."""
    rule = rule_by_code_or_name(load_rules(), code)
    if rule is None:
        from flowlint.catalogue import closest_choice

        catalogue = load_rules()
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


def run(argv: list[str]) -> int:
    """Any command line, read by click; usage errors are exit 2 with click's message."""

    def command() -> None:
        # make_context and invoke rather than click's main(), which answers a closed pipe
        # with exit 1 itself: guarded() gives every command line the same exit codes.
        try:
            with main_group.make_context("flowlint", list(argv)) as context:
                main_group.invoke(context)
        except click.exceptions.Exit as stop:   # --help, --version
            raise SystemExit(stop.exit_code) from None
        except click.exceptions.Abort:
            raise SystemExit(EXIT_ERROR) from None
        except click.ClickException as error:
            error.show()
            raise SystemExit(EXIT_ERROR) from None

    return guarded(command)
