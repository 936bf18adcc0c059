"""The Settings of each checked file: the nearest config file, merged with command-line options."""

from __future__ import annotations

import errno
import os

from flowlint.catalogue import Rule
from flowlint.config import (
    CONFIG_FILE_NAMES,
    Config,
    ConfigError,
    load_config_file,
    merged,
    read_config,
    rule_parameters,
)
from flowlint.kestra.plugin_types import parse_version
from flowlint.lint import Settings
from flowlint.records import TYPE_CHECKING, NamedTuple
from flowlint.remedies.fix_options import FixOptions

if TYPE_CHECKING:
    from pathlib import Path


class CommandLine(NamedTuple):
    """Options given on the command line; None means "as the config file says"."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    target_version: str | None = None
    max_file_size: int | None = None
    strategy: str | None = None
    image: str | None = None
    use_suppressions: bool = True
    extend_select: tuple[str, ...] = ()


class SettingsResolver:
    def __init__(self, catalogue: dict[str, Rule], configs: ConfigResolver,
                 command_line: CommandLine) -> None:
        self.catalogue = catalogue
        self.configs = configs
        self.command_line = command_line
        self._defaults = [code for code, rule in catalogue.items() if rule.enabled_by_default]
        self._parameters = {code: dict(rule.parameters) for code, rule in catalogue.items()}
        self._choices = {code: rule.choices for code, rule in catalogue.items()}
        self._cache: dict[tuple[Config, frozenset[str]], Settings] = {}
        self._rules: dict[tuple[Config, str], frozenset[str]] = {}
        self._merged: dict[Config, Config] = {}
        # By the identity of the config found (kept alive by ConfigResolver): hashing a Config
        # hashes all its fields, three times a file, which counts over thousands of files.
        self._by_found: dict[int, Settings] = {}

    def config_for(self, path: str, is_folder: bool | None = None) -> Config:
        found = self.configs.for_path(path, is_folder)
        if found not in self._merged:
            cli = self.command_line
            config = self._resolved(found)
            self._merged[found] = merged(
                config, select=cli.select, target_version=cli.target_version,
                max_file_size=cli.max_file_size,
                extend_select=(*config.extend_select, *cli.extend_select) or None,
                fix={"strategy": cli.strategy, "image": cli.image})
        return self._merged[found]

    def _resolved(self, config: Config) -> Config:
        """The config with its rule selectors as codes (names accepted); an unknown one is a
        ConfigError naming the file and the key, not a rule that silently never runs."""
        from flowlint.catalogue import UnknownSelector, resolve_selectors

        where = config.path or "configuration"
        try:
            lists = {key: resolve_selectors(self.catalogue, getattr(config, key))
                     for key in ("select", "ignore", "extend_select")}
            ignores = tuple((pattern, resolve_selectors(self.catalogue, codes))
                            for pattern, codes in config.per_file_ignores)
        except UnknownSelector as error:
            raise ConfigError(f"{where}: {error}") from None
        return merged(config, per_file_ignores=ignores, **lists)

    def for_path(self, path: str, is_folder: bool | None = None) -> Settings:
        """The settings of a file (or folder); `is_folder` False, for a file the walk found,
        spares a stat (see ConfigResolver.for_path)."""
        found = self.configs.for_path(path, is_folder)
        known = self._by_found.get(id(found))
        if known is not None:
            return known
        config = self.config_for(path, is_folder)
        # Without per-file-ignores every file under one config gets the same rules.
        rules_key = path if config.per_file_ignores else ""
        if (config, rules_key) not in self._rules:
            rules = config.enabled_rules(path, self.catalogue, self._defaults)
            self._rules[(config, rules_key)] = rules - self._command_line_ignored()
        rules = self._rules[(config, rules_key)]
        key = (config, rules)
        if key not in self._cache:
            self._cache[key] = self._settings(config, rules)
        if not config.per_file_ignores:
            self._by_found[id(found)] = self._cache[key]
        return self._cache[key]

    def excluded(self, path: str) -> bool:
        """Whether the config of a file (never a folder) excludes it."""
        config = self.configs.for_path(path, is_folder=False)
        return bool(config.exclude) and config.is_excluded(path)

    def _command_line_ignored(self) -> frozenset[str]:
        from flowlint.catalogue import select_rules

        if not self.command_line.ignore:
            return frozenset()
        return select_rules(self.catalogue, (), self.command_line.ignore)

    def _settings(self, config: Config, rules: frozenset[str]) -> Settings:
        fix = FixOptions(config.fix.strategy, config.fix.image, config.fix.cache_layout,
                         config.fix.ttl)
        kwargs = {"max_bytes": config.max_file_size} if config.max_file_size else {}
        return Settings(rules, parse_version(config.target_version),
                        rule_parameters(config, self._parameters, self._choices), fix=fix,
                        use_suppressions=self.command_line.use_suppressions, **kwargs)


class ConfigResolver:
    """The config for each checked file: --config, --isolated, or the nearest config file."""

    def __init__(self, explicit: Path | str | None = None, isolated: bool = False,
                 cwd: Path | str | None = None) -> None:
        if explicit is not None and isolated:
            raise ConfigError("--config and --isolated cannot be used together")
        self.cwd = os.path.abspath(cwd if cwd is not None else _current_folder())
        self._defaults = Config(path=None, root=self.cwd)
        self._fixed: Config | None = None
        if isolated:
            self._fixed = self._defaults
        elif explicit is not None:
            self._fixed = load_config_file(os.path.join(self.cwd, explicit))
        # Folders and config files as absolute path strings: thousands of files in hundreds
        # of folders are answered without building and hashing a Path for each.
        self._by_folder_text: dict[str, Config] = {}
        self._by_file: dict[str, Config | None] = {}
        self._by_path: dict[Path | str, Config] = {}
        self._by_given_folder: dict[Path | str, Config] = {}
        # Absolute folder -> the config file names its listing holds (see `listed`).
        self._listed: dict[str, frozenset[str]] = {}

    def listed(self, folder: str, dirs: list[str], files: list[str]) -> None:
        """What a walk found in `folder`: the search then looks for config files there only
        under the names the listing holds, not with three stats a folder."""
        if self._fixed is not None or ".." in folder.split(os.sep):
            # Below `..` the search's folder (the path as written, `lnk/../x`) and the
            # listed one (`lnk`'s target's parent's `x`) may differ: it looks for itself.
            return
        # A folder of a config file's name counts too: reading it is an error.
        present = [name for name in CONFIG_FILE_NAMES if name in files or name in dirs]
        absolute = os.path.normpath(os.path.join(self.cwd, folder))
        self._listed[absolute] = frozenset(present) if present else _NONE

    def for_path(self, path: Path | str, is_folder: bool | None = None) -> Config:
        """The config of a file or folder. None for `is_folder` looks: a caller that knows
        (a file the walk listed) spares a stat per file on a warm run."""
        if self._fixed is not None:
            return self._fixed
        # Keyed by the path as given (each file is asked for twice a run), and a file by
        # its folder as given: thousands of files, a few hundred folders.
        known = self._by_path.get(path)
        if known is None:
            if is_folder is False:
                # The folder as given, with its separator (not os.path.dirname's few µs a
                # file): "a/b/" for "a/b/c.yml", "/" for "/c.yml", "" for "c.yml".
                text = os.fspath(path)
                folder = text[:text.rfind(os.sep) + 1] if os.altsep is None \
                    else os.path.dirname(text)
                known = self._by_given_folder.get(folder)
                if known is None:
                    known = self._by_given_folder[folder] = self.for_path(folder or ".", True)
            else:
                absolute = os.path.abspath(os.path.join(self.cwd, path))
                if is_folder is None:
                    is_folder = os.path.isdir(absolute)
                known = self._search(absolute if is_folder else os.path.dirname(absolute))
            self._by_path[path] = known
        return known

    def _search(self, folder: str) -> Config:
        """The config of the nearest folder at or above `folder` that has one."""
        visited: list[str] = []
        found: Config | None = None
        current = folder
        while True:
            found = self._by_folder_text.get(current)
            if found is not None:
                break
            visited.append(current)
            found = self._config_in(current)
            if found is not None:
                break
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
        config = found if found is not None else self._defaults
        for current in visited:
            self._by_folder_text[current] = config
        return config

    def _config_in(self, folder: str) -> Config | None:
        present = self._listed.get(folder)
        for name in CONFIG_FILE_NAMES:
            if present is not None and name not in present:
                continue
            candidate = os.path.join(folder, name)
            if candidate in self._by_file:
                config = self._by_file[candidate]
            elif _exists(candidate):   # a folder or a FIFO of that name is an error
                config = self._by_file[candidate] = read_config(candidate)
            else:
                continue
            if config is not None:
                return config
        return None


_NONE: frozenset[str] = frozenset()


def _current_folder() -> str:
    try:
        return os.getcwd()
    except OSError as error:   # removed while the shell stood in it, or unreadable
        raise ConfigError(f"the current folder cannot be read (was it removed?): "
                          f"{error.strerror or error}") from None


def _exists(path: str) -> bool:
    """Whether there is a file (of any kind) at `path`; a ConfigError when that cannot be
    told (a folder on the way that cannot be searched): its settings would be a guess."""
    try:
        os.stat(path)
    except OSError as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP):
            return False
        raise ConfigError(f"{path}: cannot tell whether this config file exists: "
                          f"{error.strerror or error}") from None
    except ValueError:   # an embedded NUL
        return False
    return True
