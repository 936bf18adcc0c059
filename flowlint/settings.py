"""The Settings of each checked file: its config file, merged with command-line options."""

from __future__ import annotations

from dataclasses import dataclass

from flowlint.catalogue import Rule
from flowlint.config import Config, ConfigResolver, merged, rule_parameters
from flowlint.kestra.plugin_types import parse_version
from flowlint.lint import Settings
from flowlint.remedies.fix_context import FixOptions


@dataclass(frozen=True)
class CommandLine:
    """Options given on the command line; None means "as the config file says"."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    target_version: str | None = None
    max_file_size: int | None = None
    strategy: str | None = None
    image: str | None = None
    use_suppressions: bool = True


class SettingsResolver:
    def __init__(self, catalogue: dict[str, Rule], configs: ConfigResolver,
                 command_line: CommandLine) -> None:
        self.catalogue = catalogue
        self.configs = configs
        self.command_line = command_line
        self._defaults = [code for code, rule in catalogue.items() if rule.enabled_by_default]
        self._parameters = {code: dict(rule.parameters) for code, rule in catalogue.items()}
        self._cache: dict[tuple[Config, frozenset[str]], Settings] = {}
        self._rules: dict[tuple[Config, str], frozenset[str]] = {}
        self._merged: dict[Config, Config] = {}

    def config_for(self, path: str) -> Config:
        found = self.configs.for_path(path)
        if found not in self._merged:
            cli = self.command_line
            self._merged[found] = merged(found, select=cli.select,
                                         target_version=cli.target_version,
                                         max_file_size=cli.max_file_size,
                                         fix={"strategy": cli.strategy, "image": cli.image})
        return self._merged[found]

    def for_path(self, path: str) -> Settings:
        config = self.config_for(path)
        # Without per-file-ignores every file under one config gets the same rules.
        rules_key = path if config.per_file_ignores else ""
        if (config, rules_key) not in self._rules:
            rules = config.enabled_rules(path, self.catalogue, self._defaults)
            self._rules[(config, rules_key)] = rules - self._command_line_ignored()
        rules = self._rules[(config, rules_key)]
        key = (config, rules)
        if key not in self._cache:
            self._cache[key] = self._settings(config, rules)
        return self._cache[key]

    def excluded(self, path: str) -> bool:
        config = self.configs.for_path(path)
        return bool(config.exclude) and config.is_excluded(path)

    def _command_line_ignored(self) -> frozenset[str]:
        from flowlint.lint import select_rules

        if not self.command_line.ignore:
            return frozenset()
        return select_rules(self.catalogue, (), self.command_line.ignore)

    def _settings(self, config: Config, rules: frozenset[str]) -> Settings:
        fix = FixOptions(config.fix.strategy, config.fix.image, config.fix.cache_layout,
                         config.fix.ttl)
        kwargs = {"max_bytes": config.max_file_size} if config.max_file_size else {}
        return Settings(rules, parse_version(config.target_version),
                        rule_parameters(config, self._parameters), fix=fix,
                        use_suppressions=self.command_line.use_suppressions, **kwargs)
