"""Reading what a group of installs asks for, as strategies need it."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Protocol

from flowlint.findings import require
from flowlint.kestra.flow import Task
from flowlint.kestra.task_shell import command_texts
from flowlint.lang import shell
from flowlint.lang.installs import Install
from flowlint.lang.requirements import requirement_name
from flowlint.yamlnodes import mapping_items

INDEX_OPTIONS = frozenset({"-i", "--index-url", "--extra-index-url", "-f", "--find-links",
                           "--trusted-host", "-c", "--constraint", "--no-index"})
# Options that read what to install from a file: listed with the install's sources.
_READ_FROM_FILES = frozenset({"-r", "--requirement", "-e", "--editable"})
# Options that only say where to install: strategies choose that themselves.
LOCATION_OPTIONS = frozenset({"-t", "--target", "--prefix", "--user", "--system", "--root",
                              "--break-system-packages"})


class InstallSite(Protocol):
    """An install in shell text (LocatedInstall) or in a Python script (ScriptInstallSite)."""

    @property
    def install(self) -> Install: ...

    @property
    def text(self) -> str: ...


def packages_of(installs: Sequence[InstallSite]) -> list[str]:
    """Requirement specifiers in order, duplicates and pip itself dropped.

    A bare name next to a constrained one of the same package keeps the constrained one
    (pip would end with a version that satisfies it); two different constraints are refused.
    """
    seen: dict[str, str] = {}
    for located in installs:
        if located.install.upgrades_pip_only:
            continue
        for spec in located.install.packages:
            name = requirement_name(spec) or spec
            if name == "pip":
                continue
            known = seen.get(name)
            if known is None or _is_bare(known, name):
                seen[name] = spec
                continue
            require(_same_requirement(known, spec) or _is_bare(spec, name),
                    f"'{name}' is installed twice with different specifiers "
                    f"('{known}' and '{spec}')")
    return list(seen.values())


def _same_requirement(first: str, second: str) -> bool:
    """The same requirement however written: `Pandas == 2.2` is `pandas==2.2`."""
    if first == second:
        return True
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        one, two = Requirement(first), Requirement(second)
    except InvalidRequirement:
        return False
    return (canonicalize_name(one.name), one.extras, one.specifier, one.url, one.marker) == \
        (canonicalize_name(two.name), two.extras, two.specifier, two.url, two.marker)


def moved_distributions(installs: Sequence[InstallSite]) -> frozenset[str]:
    """The distributions these installs name: what a fix that moves them declares the image
    or the worker provides from then on."""
    return frozenset(name for name in map(requirement_name, packages_of(installs)) if name)


def _is_bare(spec: str, name: str) -> bool:
    return requirement_name(spec) == name and spec.strip().lower().replace("_", "-") == name


def require_plain_packages(installs: Sequence[InstallSite], strategy: str,
                           allow_index: bool = False) -> None:
    """Refuse installs that a package list cannot express (an image or a server install
    can still use index options and URLs: `allow_index`)."""
    for located in installs:
        install = located.install
        quoted = f"'{located.text}'"
        require(install.tool in ("pip", "uv"),
                f"{quoted} uses {install.tool}; {strategy} handles pip and uv pip installs only")
        require(not install.requirement_files, f"{quoted} reads a requirements file (-r)")
        require(not install.editables, f"{quoted} installs in editable mode (-e)")
        require(not install.local_paths, f"{quoted} installs a local path, which only the "
                "task's own files hold")
        require(allow_index or not install.urls, f"{quoted} installs from a URL")
        index = sorted({name for name, _ in install.options if name in INDEX_OPTIONS})
        require(allow_index or not index, f"{quoted} uses index options ({', '.join(index)})")
        require(not any("{{" in spec or "{%" in spec for spec in install.packages),
                f"{quoted} takes its packages from a Pebble expression")
        require(not any(word.expands for word in install.command.words[1:]),
                f"{quoted} takes part of its arguments from the shell at run time ($...), "
                "which a package list cannot")


def index_setting(task: Task) -> str | None:
    """A setting of the task that tells pip or uv where packages come from besides the
    install line: a PIP_*/UV_* variable in `env` or exported by its shell, or `pip config`.
    Moved out of that shell, the install would fetch from the public index instead."""
    env = task.prop("env")
    if env is not None:
        for key, _, _ in mapping_items(env):
            if key.startswith(("PIP_", "UV_")):
                return f"`env` sets {key}"
    for command in command_texts(task):
        for simple in shell.split_commands(command.node.value):
            words = [word.text for word in simple.words]
            if words[:1] == ["export"] and any(word.startswith(("PIP_", "UV_"))
                                               for word in words[1:]):
                return f"'{' '.join(words)}' sets pip's settings"
            if words[:2] in (["pip", "config"], ["pip3", "config"]):
                return f"'{' '.join(words)}' sets pip's settings"
    return None


def require_index_kept(task: Task, strategy: str) -> None:
    """Refuse a strategy that installs the packages elsewhere than the task's shell when
    the task tells pip where they come from (a private index)."""
    setting = index_setting(task)
    require(setting is None, f"{setting}: {strategy} installs the packages outside the task's "
            "shell, where that setting does not reach, so they would come from the public index")


def kept_options(installs: Sequence[InstallSite]) -> list[str]:
    """Options to keep when several installs are merged into one (same for all)."""
    rendered: list[str] = []
    for located in installs:
        for name, value in located.install.options:
            if name in LOCATION_OPTIONS or name in _READ_FROM_FILES or name in ("-U", "--upgrade"):
                continue   # where to install is the strategy's; files are listed as sources
            if value is None:
                text = name
            elif name.startswith("--"):
                text = f"{name}={shlex.quote(value)}"
            else:
                text = f"{name} {shlex.quote(value)}"
            if text not in rendered:
                rendered.append(text)
    return rendered
