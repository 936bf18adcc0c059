"""Settings per workspace folder: the config file found as the CLI finds it (nearest
.flowlint.toml or pyproject.toml wins), under the editor's overrides of `select`,
`target-version` and `fix.strategy` (initializationOptions or workspace/configuration)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from flowlint.catalogue import Rule, load_catalogue
from flowlint.config import CONFIG_FILE_NAMES
from flowlint.lint import Settings
from flowlint.records import NamedTuple
from flowlint.settings import CommandLine, ConfigResolver, SettingsResolver


class Overrides(NamedTuple):
    """What the editor may set; None leaves it to the config file."""

    select: tuple[str, ...] | None = None
    target_version: str | None = None
    strategy: str | None = None


def parse_overrides(data: object, catalogue: Mapping[str, Rule]) -> tuple[Overrides, list[str]]:
    """The overrides in an editor's settings object, and what was wrong with it (each
    problem leaves its setting to the config file rather than failing the server).

    Accepts `target-version` or `targetVersion`, and `fix.strategy` nested or dotted, since
    editors write settings in JSON, Lua or TOML.
    """
    if not isinstance(data, Mapping):
        return Overrides(), [] if data is None else ["settings must be an object"]
    problems: list[str] = []
    fix = data.get("fix")
    values = {
        "select": data.get("select"),
        "target_version": data.get("target-version", data.get("targetVersion")),
        "strategy": (fix.get("strategy") if isinstance(fix, Mapping) else None)
        or data.get("fix.strategy") or data.get("strategy"),
    }
    select = _select(values["select"], catalogue, problems)
    target = _target_version(values["target_version"], problems)
    strategy = _strategy(values["strategy"], problems)
    return Overrides(select, target, strategy), problems


def _select(value: object, catalogue: Mapping[str, Rule],
            problems: list[str]) -> tuple[str, ...] | None:
    from flowlint.catalogue import UnknownSelector, resolve_selectors

    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        problems.append("select must be a list of rule codes, prefixes or names")
        return None
    selectors = [item for item in value if item.strip()]
    if not selectors:
        # An editor's default (VS Code writes `[]` for an unset list) is no override: an
        # empty selection would drop the config file's `select` for the default rules.
        return None
    try:
        return resolve_selectors(catalogue, selectors)
    except UnknownSelector as error:
        problems.append(f"select: {error}")
        return None


def _target_version(value: object, problems: list[str]) -> str | None:
    from flowlint.kestra.plugin_types import parse_version

    if value is None:
        return None
    try:
        version = parse_version(str(value))
    except ValueError:
        problems.append(f"target-version: '{value}' is not a version like 1.0 or 0.18")
        return None
    if not (0, 15) <= version <= (2, 0):
        problems.append(f"target-version: {value} is outside the supported range 0.15 to 2.0")
        return None
    return f"{version[0]}.{version[1]}"


def _strategy(value: object, problems: list[str]) -> str | None:
    from flowlint.remedies.fix_options import STRATEGIES

    if value is None:
        return None
    if value not in ("auto", *STRATEGIES):
        problems.append(f"fix.strategy: '{value}' is not one of auto, {', '.join(STRATEGIES)}")
        return None
    return str(value)


class WorkspaceConfig:
    """The Settings of each document, by workspace folder; `reload` forgets every config
    file read, so the next document checked reads them again."""

    def __init__(self) -> None:
        self.catalogue = load_catalogue()
        self.folders: list[str] = []
        self.defaults = Overrides()                 # initializationOptions
        self.by_folder: dict[str, Overrides] = {}   # workspace/configuration, per folder
        self._resolvers: dict[str, SettingsResolver] = {}

    def set_folders(self, folders: list[str]) -> None:
        # Longest first, so a nested workspace folder wins over the one holding it.
        self.folders = sorted({os.path.abspath(folder) for folder in folders},
                              key=len, reverse=True)
        self.reload()

    def reload(self) -> None:
        self._resolvers.clear()

    def folder_of(self, path: str) -> str:
        """The workspace folder holding `path`; a file outside every folder gets its own
        folder, which config discovery starts from anyway."""
        absolute = os.path.abspath(path)
        for folder in self.folders:
            if absolute == folder or absolute.startswith(folder.rstrip(os.sep) + os.sep):
                return folder
        return os.path.dirname(absolute)

    def settings_for(self, path: str) -> Settings:
        """Raises flowlint.config.ConfigError for a config file that cannot be used."""
        return self._resolver(path).for_path(os.path.abspath(path))

    def excluded(self, path: str) -> bool:
        return self._resolver(path).excluded(os.path.abspath(path))

    def _resolver(self, path: str) -> SettingsResolver:
        folder = self.folder_of(path)
        resolver = self._resolvers.get(folder)
        if resolver is None:
            overrides = layered(self.defaults, self.by_folder.get(folder, Overrides()))
            command_line = CommandLine(select=overrides.select,
                                       target_version=overrides.target_version,
                                       strategy=overrides.strategy)
            resolver = SettingsResolver(self.catalogue, ConfigResolver(cwd=folder), command_line)
            self._resolvers[folder] = resolver
        return resolver


def layered(under: Overrides, over: Overrides) -> Overrides:
    """`over`'s settings where it has them, `under`'s elsewhere (a folder's settings over
    the initializationOptions)."""
    return Overrides(*(mine if mine is not None else theirs
                       for mine, theirs in zip(over, under)))


def is_config_file(path: str) -> bool:
    return os.path.basename(path) in CONFIG_FILE_NAMES
