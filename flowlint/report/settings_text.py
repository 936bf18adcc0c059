"""`flowlint config PATH`: the settings that apply to a path, as TOML, with their file."""

from __future__ import annotations

from collections.abc import Mapping

from flowlint.config import Config, FixConfig, rule_parameters, toml_key, toml_value
from flowlint.records import TYPE_CHECKING
from flowlint.source import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from flowlint.lint import Settings


def effective_settings_text(config: Config,
                            rule_defaults: Mapping[str, Mapping[str, object]] | None = None
                            ) -> str:
    """The settings that apply, as TOML: the file they come from and every key's value.

    With `rule_defaults` (the catalogue's parameters) the rules section shows every option of
    every rule, defaults included; without, only the options the config sets.
    """
    source = (f"# config file: {config.path}" if config.path is not None
              else "# config file: none (defaults)")
    lines = [source, f"# globs are relative to: {config.root}", ""]
    top: list[tuple[str, object, str]] = [
        ("select", config.select, "" if config.select else "the rules enabled by default"),
        ("extend-select", config.extend_select, ""),
        ("ignore", config.ignore, ""),
        ("exclude", config.exclude, ""),
        ("target-version", config.target_version, ""),
        ("max-file-size", config.max_file_size or DEFAULT_MAX_BYTES,
         "" if config.max_file_size else "the default"),
    ]
    for key, value, note in top:
        lines.append(f"{key} = {toml_value(value)}" + (f"  # {note}" if note else ""))
    lines += ["", "[per-file-ignores]"]
    lines += [f"{toml_key(glob)} = {toml_value(codes)}" for glob, codes in config.per_file_ignores]
    lines += ["", "[fix]"]
    for name in FixConfig._fields:
        key, value = name.replace("_", "-"), getattr(config.fix, name)
        lines.append(f"# {key} is not set" if value is None else f"{key} = {toml_value(value)}")
    options = (rule_parameters(config, rule_defaults) if rule_defaults is not None
               else config.rule_options)
    for code, values in options.items():
        lines += ["", f"[rules.{code}]"]
        lines += [f"{toml_key(name)} = {toml_value(value)}" for name, value in values.items()]
    return "\n".join(lines) + "\n"


def resolved_settings_text(path: str, config: Config, settings: Settings,
                           run: Mapping[str, object]) -> str:
    """`check --show-settings`: what a check of `path` uses once the command line is applied
    (the rules in force, the version, the fix), then the config file it comes from."""
    fix = settings.fix
    lines = [f"# settings for {path}",
             f"rules = {toml_value(sorted(settings.rules))}",
             f'target-version = "{settings.target_version[0]}.{settings.target_version[1]}"',
             f"max-file-size = {settings.max_bytes}",
             f"use-suppressions = {toml_value(settings.use_suppressions)}"]
    if fix is not None:
        lines.append(f'fix.strategy = "{fix.strategy}"')
        if fix.image:
            lines.append(f"fix.image = {toml_value(fix.image)}")
    lines += [f"{key} = {toml_value(value)}" for key, value in run.items()]
    return "\n".join(lines) + "\n\n" + effective_settings_text(config)
