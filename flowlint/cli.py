"""The `flowlint` command. A check of flags and paths alone (`flowlint check --fix a.yaml`,
what pre-commit hooks and editors run) is read here and runs without importing click, a fifth
of the start-up of a one-file check; every other command line goes to flowlint.commands,
read by click.

Exit codes: 0 no findings, 1 findings, 2 usage, config or internal error.
"""

from __future__ import annotations

import gc
import os
import sys

# The options of `check` that take no value, with the CheckOptions field each sets, as
# flowlint.commands declares them (tests/test_cli_fast_path.py holds the two to each other).
FLAGS: dict[str, str] = {
    "--no-respect-gitignore": "no_respect_gitignore",
    "--force-exclude": "force_exclude",
    "--exit-zero": "exit_zero",
    "--statistics": "statistics",
    "--quiet": "quiet",
    "-q": "quiet",
    "--verbose": "verbose",
    "-v": "verbose",
    "--isolated": "isolated",
    "--no-ignores": "no_ignores",
    "--fix": "fix",
    "--unsafe-fixes": "unsafe_fixes",
    "--diff": "diff",
    "--show-fixes": "show_fixes",
    "--exit-non-zero-on-fix": "exit_non_zero_on_fix",
    "--no-cache": "no_cache",
    "--show-files": "show_files",
    "--show-settings": "show_settings",
}
COMMANDS = frozenset({"check", "config", "image", "server-requirements", "clean", "rules",
                      "rule", "server"})


def entry() -> None:
    """The `flowlint` command (and `python -m flowlint`): main(), then the exit.

    The interpreter's own exit frees every object the run made, module by module: several ms
    of a warm run and tens of a cold one, which leave nothing to tear down. So the output is
    flushed and the process ends at once, unless worker processes may need the normal exit's
    clean-up (one still running, or a start method other than fork, whose helper processes
    and semaphores the normal exit releases)."""
    # A collection of the young objects every 5,000 allocations, not 700: a check makes
    # hundreds of thousands of short-lived nodes, and the collector's passes over them were
    # 5-8% of a run. Cycles are still collected (a few MB later).
    gc.set_threshold(5000, 10, 10)
    code = main()
    if not _nothing_to_tear_down():
        raise SystemExit(code)
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):   # a closed pipe: exit 2, as everywhere (README)
        code = 2
    os._exit(code)


def _nothing_to_tear_down() -> bool:
    if "multiprocessing" not in sys.modules:
        return True
    import multiprocessing

    # The workers of a check are joined when its pool closes; forked, they leave nothing.
    return (multiprocessing.get_start_method(allow_none=True) == "fork"
            and not multiprocessing.active_children())


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    plain = plain_check(args)
    if plain is None:
        from flowlint.commands import run

        return run(args)
    from flowlint.check_command import CheckOptions, guarded, run_check

    paths, fields = plain
    options = CheckOptions(**dict.fromkeys(fields, True))
    return guarded(lambda: run_check(paths, options))


def plain_check(args: list[str]) -> tuple[tuple[str, ...], set[str]] | None:
    """The paths and the flags' fields of `[check] [FLAGS] [PATHS]`; None when click must read
    the command line: no arguments, a command other than `check`, help, an option with a
    value, standard input (`-`), or a path that does not exist (click tells a mistyped
    command from a missing file)."""
    if args[:1] == ["check"]:
        args = args[1:]
    elif not args or args[0] in COMMANDS:
        return None
    paths: list[str] = []
    fields: set[str] = set()
    for arg in args:
        if arg in FLAGS:
            fields.add(FLAGS[arg])
        elif arg.startswith("-") or not os.path.lexists(arg):
            return None
        else:
            paths.append(arg)
    return tuple(paths), fields


if __name__ == "__main__":
    sys.exit(main())
