"""Package installs in shell commands: pip, uv, conda, poetry, npm, apt-get, apk and more.

Each simple command of a shell string (flowlint.lang.shell) is matched against the install
tools flowlint knows; an install keeps its exact command, so fixes can cut or rewrite it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from flowlint.lang.requirements import requirement_name
from flowlint.lang.shell import SimpleCommand, split_commands
from flowlint.records import NamedTuple


class Install(NamedTuple):
    tool: str
    ecosystem: str  # 'python', 'node' or 'system'
    command: SimpleCommand
    packages: tuple[str, ...]
    requirement_files: tuple[str, ...]
    constraint_files: tuple[str, ...]
    editables: tuple[str, ...]
    local_paths: tuple[str, ...]
    urls: tuple[str, ...]
    options: tuple[tuple[str, str | None], ...]
    target: str | None
    upgrades_pip_only: bool


class _Tool(NamedTuple):
    ecosystem: str
    subcommands: frozenset[tuple[str, ...]]  # () means "no positional at all" (bare `yarn`)
    value_opts: frozenset[str]  # options that consume a value
    roles: tuple[tuple[str, str], ...] = ()  # option -> 'req', 'con', 'edit' or 'target'
    pep508: bool = False  # operands are PEP 508 requirements (pip-like tools)


def _tool(ecosystem: str, subs: str, values: str, roles: str = "", pep508: bool = False) -> _Tool:
    """Build a _Tool from compact specs: subs are comma-separated, roles are `opt:role`."""
    return _Tool(
        ecosystem,
        frozenset(tuple(sub.split()) for sub in subs.split(",")),
        frozenset(values.split()),
        tuple((opt, role) for opt, _, role in (r.partition(":") for r in roles.split())),
        pep508,
    )


_PIP_VALUES = (
    "-r --requirement -c --constraint -e --editable -i --index-url --extra-index-url -f"
    " --find-links -t --target --prefix --root --root-user-action --trusted-host --platform"
    " --python-version --implementation --abi --only-binary --no-binary --progress-bar --src"
    " --upgrade-strategy --config-settings -C --global-option --cache-dir --log --proxy"
    " --timeout --retries --report --python --exists-action --cert --client-cert"
    " --use-feature --use-deprecated --keyring-provider --log-file --build-option"
)
_UV_VALUES = (
    " -p --directory --project --config-file --color --index --default-index --index-strategy"
    " --prerelease --resolution --link-mode --exclude-newer --extra --group --override -b"
    " --build-constraint --torch-backend --python-platform --allow-insecure-host"
)
_PIP_ROLES = (
    "-r:req --requirement:req -c:con --constraint:con -e:edit --editable:edit"
    " -t:target --target:target --prefix:target"
)
_CONDA = _tool(
    "python", "install, create, env create, env update",
    "-c --channel -n --name -p --prefix -f --file --solver --platform --subdir -r --root-prefix"
    " --repodata-fn --channel-priority",
    "-f:req --file:req -p:target --prefix:target",
)
_SYSTEM = _tool(
    "system", "install",
    "-o --option -c --config-file --config -t --target-release --enablerepo --disablerepo"
    " --setopt --installroot --releasever --repo --repoid -x --exclude",
)
_TOOLS: dict[str, _Tool] = {
    "pip": _tool("python", "install", _PIP_VALUES, _PIP_ROLES, pep508=True),
    "uv": _tool("python", "pip install", _PIP_VALUES + _UV_VALUES, _PIP_ROLES, pep508=True),
    "conda": _CONDA, "mamba": _CONDA, "micromamba": _CONDA,
    "poetry": _tool(
        "python", "add, install",
        "--with --without --only -E --extras -G --group --source -C --directory -P --project"
        " --python --platform --markers",
        pep508=True,
    ),
    "pipenv": _tool(
        "python", "install",
        "-r --requirements -e --editable --python --index --pypi-mirror --categories"
        " --extra-pip-args",
        "-r:req --requirements:req -e:edit --editable:edit", pep508=True,
    ),
    "npm": _tool(
        "node", "install, i, in, isntall, add, ci, clean-install, install-clean, ic",
        "--prefix --registry -w --workspace --omit --include --cache --loglevel"
        " --install-strategy --userconfig --before --tag --save-prefix",
        "--prefix:target",
    ),
    "yarn": _tool(
        "node", ", add, install, global add",
        "--cwd --registry --network-timeout --modules-folder --cache-folder --mutex",
    ),
    "pnpm": _tool("node", "add, install, i", "--filter -F --dir -C --registry --store-dir"),
    "apt-get": _SYSTEM, "apt": _SYSTEM, "yum": _SYSTEM, "dnf": _SYSTEM, "microdnf": _SYSTEM,
    "apk": _tool(
        "system", "add",
        "-X --repository -t --virtual --root -p --repositories-file --cache-dir --arch",
    ),
}
_PIP_RE = re.compile(r"pip(\d+(\.\d+)?)?")
_PYTHON_RE = re.compile(r"python(\d+(\.\d+)?)?|py")
_VCS_RE = re.compile(r"(git|hg|svn|bzr)\+")
_ARCHIVES = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".zip", ".conda", ".deb", ".rpm", ".apk")


def _parse(args: list[str], value_opts: frozenset[str]) -> tuple[list[tuple[str, str | None]], list[str]]:
    """Split argv into (options, positionals); `-qU` yields two flags, `-rfile` a value."""
    opts: list[tuple[str, str | None]] = []
    pos: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            pos.extend(args[i:])
            break
        if arg.startswith("--"):
            name, eq, attached = arg.partition("=")
            value: str | None = attached if eq else None
            if not eq and name in value_opts and i < len(args):
                value, i = args[i], i + 1
            opts.append((name, value))
        elif arg.startswith("-") and len(arg) > 1:
            for k, ch in enumerate(arg[1:], start=2):
                if "-" + ch in value_opts:
                    value = arg[k:] or (args[i] if i < len(args) else None)
                    i += 0 if arg[k:] or i >= len(args) else 1
                    opts.append(("-" + ch, value))
                    break
                opts.append(("-" + ch, None))
        else:
            pos.append(arg)
    return opts, pos


def _after_python_m_pip(args: list[str]) -> list[str] | None:
    """Arguments after `-m pip` when an interpreter runs pip, else None."""
    i = 0
    while i < len(args) and args[i].startswith("-") and not args[i].startswith("--"):
        flags, i = args[i][1:], i + 1
        for k, ch in enumerate(flags):
            if ch == "c":
                return None  # `python -c code`: not pip
            if ch in "mXW":  # options with a value, attached or in the next word
                value = flags[k + 1 :] or (args[i] if i < len(args) else "")
                i += 0 if flags[k + 1 :] else 1
                if ch == "m":
                    return args[i:] if value == "pip" else None
                break
    return None


def _classify(arg: str, pep508: bool) -> str:
    if arg.startswith(("{{", "{%")):
        return "package"  # Pebble renders to requirement specifiers at run time
    if "://" in arg or _VCS_RE.match(arg) or (pep508 and re.search(r"\s@\s", arg)):
        return "url"
    if arg.startswith((".", "/", "~")) or arg.endswith(_ARCHIVES):
        return "path"
    if pep508 and ("/" in arg or "\\" in arg) and requirement_name(arg) is None:
        return "path"
    return "package"


def _subcommand_length(pos: list[str], subs: frozenset[tuple[str, ...]]) -> int | None:
    for sub in sorted(subs, key=len, reverse=True):
        if (tuple(pos[: len(sub)]) == sub) if sub else not pos:
            return len(sub)
    return None


def _program(args: list[str]) -> tuple[str, list[str] | None]:
    """Normalised tool name and its arguments (None when it is not a tool we know)."""
    prog = args[0].rsplit("/", 1)[-1]
    if _PIP_RE.fullmatch(prog):
        return "pip", args[1:]
    if _PYTHON_RE.fullmatch(prog):
        return "pip", _after_python_m_pip(args[1:])
    return prog, args[1:] if prog in _TOOLS else None


def _only_pip(packages: tuple[str, ...]) -> bool:
    # Upgrading pip itself is noise the task does not need (constraint files add no packages).
    return bool(packages) and all(requirement_name(p) == "pip" for p in packages)


def _install_from(cmd: SimpleCommand, positional: list[str] | None = None,
                  budget: list[int] | None = None) -> Install | None:
    if not cmd.words:
        return None
    tool, args = _program(_argv(cmd, positional, budget))
    spec = _TOOLS.get(tool)
    if spec is None or args is None:
        return None
    opts, pos = _parse(args, spec.value_opts)
    skip = _subcommand_length(pos, spec.subcommands)
    if skip is None:
        return None
    roles: dict[str, list[str]] = {"req": [], "con": [], "edit": [], "target": []}
    role_of = dict(spec.roles)
    for name, value in opts:
        if name in role_of and value is not None:
            roles[role_of[name]].append(value)
    kinds: dict[str, list[str]] = {"package": [], "url": [], "path": []}
    for arg in pos[skip:]:
        kinds[_classify(arg, spec.pep508)].append(arg)
    packages = tuple(kinds["package"])
    extras = roles["req"] or roles["edit"] or kinds["url"] or kinds["path"]
    pip_only = tool in ("pip", "uv") and not extras and _only_pip(packages)
    return Install(
        tool=tool, ecosystem=spec.ecosystem, command=cmd, packages=packages,
        requirement_files=tuple(roles["req"]), constraint_files=tuple(roles["con"]),
        editables=tuple(roles["edit"]), local_paths=tuple(kinds["path"]),
        urls=tuple(kinds["url"]), options=tuple(opts),
        target=roles["target"][-1] if roles["target"] else None,  # last one wins, as in argparse
        upgrades_pip_only=pip_only,
    )


@lru_cache(maxsize=8192)
def find_installs(text: str) -> tuple[Install, ...]:
    """Every package install run by the shell string, in source order.

    `set -- a b` sets the positional parameters that a later `"$@"` stands for: the cached
    installs flowlint writes list their requirements that way (one list, read both by the
    install and by the stamp that tells whether the cached folder holds them).

    The words `"$@"` stands for are counted against the length of the text: past that, a
    `"$@"` stays as it is written (a word known at run time only). A list of 8,000 words
    and 8,000 installs of `"$@"` would otherwise be 64 million packages from 100 kB of text.
    """
    found, positional = [], None
    budget = [len(text)]
    for command in split_commands(text):
        words = [word.text for word in command.words]
        if words[:2] == ["set", "--"]:
            positional = words[2:]
        elif (install := _install_from(command, positional, budget)) is not None:
            found.append(install)
    return tuple(found)


def _argv(command: SimpleCommand, positional: list[str] | None,
          budget: list[int] | None = None) -> list[str]:
    """The command's words, with `"$@"` replaced by the positional parameters when known,
    while `budget` (words left to expand, decreased here) lasts."""
    argv = []
    for word in command.words:
        if positional is not None and word.text in ("$@", "${@}") \
                and (budget is None or budget[0] >= len(positional)):
            argv.extend(positional)
            if budget is not None:
                budget[0] -= len(positional)
        else:
            argv.append(word.text)
    return argv


def as_install(command: SimpleCommand, ecosystem: str = "") -> Install:
    """Any simple command in the shape of an install (`Rscript -e ...`, `apt-get update`,
    `deactivate`), so that the command edits can cut or rewrite it like one."""
    tool = command.words[0].text if command.words else ""
    return Install(tool=tool, ecosystem=ecosystem, command=command, packages=(),
                   requirement_files=(), constraint_files=(), editables=(), local_paths=(),
                   urls=(), options=(), target=None, upgrades_pip_only=False)


def refreshes_package_index(command: SimpleCommand) -> bool:
    """`apt-get update`, `apt update`, `apk update`, `yum makecache`: part of a system
    install, useless without one."""
    words = [word.text for word in command.words if not word.text.startswith("-")]
    return words[:2] in (["apt-get", "update"], ["apt", "update"], ["apk", "update"],
                         ["yum", "makecache"], ["dnf", "makecache"])
