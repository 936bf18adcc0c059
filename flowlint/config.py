"""Configuration: `[tool.flowlint]` in pyproject.toml or the top level of `.flowlint.toml`.

The nearest config file above a checked file wins, as in ruff (flowlint.settings finds it): a
folder of flows can carry its own settings. Files are validated against
schemas/config.schema.json, and every problem is reported with the file, the key path and
what the key accepts.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import sys
from collections.abc import Collection, Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType

from flowlint.catalogue import frozen, select_rules
from flowlint.records import TYPE_CHECKING, NamedTuple, Record
from flowlint.schema_subset import surely_valid

if TYPE_CHECKING:
    from pathlib import Path, PurePosixPath
    from typing import Any

FLOWLINT_TOML = ".flowlint.toml"
PYPROJECT = "pyproject.toml"
# Looked for in this order in each folder, as ruff does with its own files.
CONFIG_FILE_NAMES = (FLOWLINT_TOML, "flowlint.toml", PYPROJECT)
SCHEMA_PATH = os.path.join(os.path.dirname(os.path.realpath(__file__)), "schemas",
                           "config.schema.json")
# What a TOML bare key may hold (a set, not a regular expression: this module loads at
# every start, and a key is only quoted in messages).
_BARE_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


DEFAULT_TARGET_VERSION = "1.0"


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file and the key."""


class FixConfig(NamedTuple):
    strategy: str = "auto"
    image: str | None = None
    cache_layout: str = "deps"
    ttl: str = "PT24H"


class Config(Record):
    """One config file's settings (or the defaults), with the folder its paths are relative
    to."""

    __slots__ = ("path", "root", "select", "ignore", "extend_select", "per_file_ignores",
                 "exclude", "target_version", "fix", "max_file_size", "rule_options")
    _fields = __slots__
    # Not the rule options: a read-only mapping cannot be hashed, the rest identifies a config.
    _compared = _fields[:-1]

    def __init__(self, path: str | None, root: str, select: tuple[str, ...] = (),
                 ignore: tuple[str, ...] = (), extend_select: tuple[str, ...] = (),
                 per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = (),
                 exclude: tuple[str, ...] = (), target_version: str = DEFAULT_TARGET_VERSION,
                 fix: FixConfig = FixConfig(), max_file_size: int | None = None,
                 rule_options: Mapping[str, Mapping[str, object]] | None = None) -> None:
        self.path = path
        self.root = root
        self.select = select
        self.ignore = ignore
        self.extend_select = extend_select
        self.per_file_ignores = per_file_ignores
        self.exclude = exclude
        self.target_version = target_version
        self.fix = fix
        self.max_file_size = max_file_size
        self.rule_options = MappingProxyType({}) if rule_options is None else rule_options

    def ignored_codes_for(self, path: Path | str) -> frozenset[str]:
        """Codes and prefixes that per-file-ignores turns off for this file."""
        if not self.per_file_ignores:
            return frozenset()
        relative = self._relative(path)
        if relative is None:
            return frozenset()
        return frozenset(code for pattern, codes in self.per_file_ignores
                         if _glob_matches(pattern, relative) for code in codes)

    def is_excluded(self, path: Path | str) -> bool:
        relative = self._relative(path)
        return relative is not None and any(_glob_matches(pattern, relative)
                                            for pattern in self.exclude)

    def enabled_rules(self, path: Path | str, known: Iterable[str],
                      defaults: Iterable[str]) -> frozenset[str]:
        """The codes to check in this file: select (or the defaults), plus extend-select,
        minus ignore and the per-file-ignores that match the file."""
        known = list(known)
        ignored = [*self.ignore, *sorted(self.ignored_codes_for(path))]
        chosen = select_rules(known, defaults, self.select, ignored)
        if self.extend_select:
            chosen |= select_rules(known, (), self.extend_select, ignored)
        return chosen

    def _relative(self, path: Path | str) -> PurePosixPath | None:
        """The path relative to the root, or None when it lies outside the root."""
        # Loaded here: a run without exclude or per-file-ignores does not load pathlib.
        from pathlib import Path, PurePosixPath

        relative = os.path.relpath(os.path.abspath(path), self.root)
        posix = PurePosixPath(Path(relative).as_posix())
        return None if posix.parts[:1] == ("..",) else posix


def _glob_matches(pattern: str, relative: PurePosixPath) -> bool:
    """fnmatch on the path or one of its folders, where `**/` may also match no folder. A
    pattern of one name (`legacy`, `*.draft.yaml`) matches that file or folder name at any
    depth, as in ruff and .gitignore; a leading `/` anchors it to the config's folder."""
    pattern = pattern.strip().rstrip("/")
    if "/" not in pattern:
        return any(fnmatch.fnmatch(part, pattern) for part in relative.parts)
    pattern = pattern.removeprefix("/")
    candidates = [relative.as_posix(), *(parent.as_posix() for parent in relative.parents
                                         if parent.parts)]
    patterns = _zero_folder_variants(pattern)
    return any(fnmatch.fnmatch(candidate, variant)
               for variant in patterns for candidate in candidates)


@lru_cache(maxsize=256)
def _zero_folder_variants(pattern: str) -> frozenset[str]:
    """The pattern with each combination of its `**/` (at a folder boundary) left out."""
    variants, pending = {pattern}, [pattern]
    while pending:
        current = pending.pop()
        for index in range(len(current)):
            if current.startswith("**/", index) and (index == 0 or current[index - 1] == "/"):
                shorter = current[:index] + current[index + 3:]
                if shorter not in variants:
                    variants.add(shorter)
                    pending.append(shorter)
    return frozenset(variants)


def merged(config: Config, **overrides: object) -> Config:
    """The config with every override that is not None put in its place (command-line values).

    `fix` takes a FixConfig, or a mapping of FixConfig fields whose None values are skipped.
    """
    names = set(Config._fields)
    changes: dict[str, object] = {}
    for name, value in overrides.items():
        if name not in names:
            raise TypeError(f"merged() got an unknown field {name!r}")
        if value is None:
            continue
        if name == "fix" and isinstance(value, Mapping):
            value = config.fix._replace(**{key: item for key, item in value.items()
                                           if item is not None})
        elif isinstance(getattr(config, name), tuple) and not isinstance(value, tuple):
            value = tuple(value)  # type: ignore[arg-type] - a list from the command line
        changes[name] = value
    return config._replace(**changes)


def rule_parameters(config: Config, defaults: Mapping[str, Mapping[str, object]],
                    choices: Mapping[str, Mapping[str, Collection[str]]] | None = None
                    ) -> dict[str, dict[str, object]]:
    """Each rule's parameters: the catalogue's defaults, overridden by `rules.FLxxx` options.

    An unknown code, an unknown option or a value of another kind than the default's is a
    ConfigError: a typo would otherwise be silently ignored.
    """
    parameters = {code: dict(values) for code, values in defaults.items()}
    in_pyproject = config.path is not None and os.path.basename(config.path) == PYPROJECT
    prefix = ["tool", "flowlint"] if in_pyproject else []
    for code, options in config.rule_options.items():
        if code not in defaults:
            shown = _key_path([*prefix, "rules", code])
            raise ConfigError(f"{config.path}: {_unknown_text('rule', shown, defaults, code)}")
        for name, value in options.items():
            shown = _key_path([*prefix, "rules", code, name])
            if name not in defaults[code]:
                raise ConfigError(f"{config.path}: "
                                  f"{_unknown_text('option', shown, defaults[code], name)}")
            expected = defaults[code][name]
            if _kind(value) != _kind(expected):
                raise ConfigError(f"{config.path}: {shown}: expected {_kind(expected)} like "
                                  f"{toml_value(expected)}, got {_describe(value)}")
            wrong_item = _item_of_another_kind(value, expected)
            if wrong_item is not None:
                position, item = wrong_item
                raise ConfigError(f"{config.path}: {shown}: expected a list of "
                                  f"{_kind(expected[0])[2:]}s like {toml_value(expected)}, "
                                  f"got {_describe(item)} at position {position}")
            allowed = (choices or {}).get(code, {}).get(name)
            if allowed is not None:
                _check_choices(config.path, shown, value, allowed)
            parameters[code][name] = value
    return parameters


def _check_choices(path: str | None, shown: str, value: object, allowed: Collection[str]
                   ) -> None:
    """Each item of a list option with a closed set of values is one of them: `"nodee"` in
    FL009's ecosystems would turn the Node.js check off without a word."""
    for position, item in enumerate(value, start=1):  # type: ignore[arg-type]
        if item not in allowed:
            close = _closest(str(item), list(allowed))
            hint = f" (did you mean {toml_value(close)}?)" if close else ""
            raise ConfigError(f"{path}: {shown}: {toml_value(item)} at position {position} is "
                              f"not one of {toml_value(list(allowed))}{hint}")


def _item_of_another_kind(value: object, expected: object) -> tuple[int, object] | None:
    """The first item (1-based position, item) of a list option that is not of the kind of
    the default's items: the rules read `installers = [1]` as names, and would fail on it."""
    if not (isinstance(value, (list, tuple)) and isinstance(expected, (list, tuple))
            and expected):
        return None
    kind = _kind(expected[0])
    for position, item in enumerate(value, start=1):
        if _kind(item) != kind:
            return position, item
    return None


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


# Reading and validating one file


def load_config_file(path: Path | str) -> Config:
    """The config in `path` (a pyproject.toml or a .flowlint.toml-style file), validated.

    A pyproject.toml without [tool.flowlint] is an error here: this is for a file named
    explicitly (--config), where silently using the defaults would hide the mistake.
    """
    path = os.fspath(path)
    config = read_config(path)
    if config is None:
        raise ConfigError(f"{path}: no [tool.flowlint] table in this pyproject.toml")
    return config


def read_config(path: str) -> Config | None:
    """The config in `path`, or None for a pyproject.toml that does not configure flowlint."""
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise ConfigError(f"{path}: is a folder, not a config file")
        if not stat.S_ISREG(mode):   # a FIFO would block the run forever
            raise ConfigError(f"{path}: not a regular file (a pipe, socket or device)")
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    in_pyproject = os.path.basename(path) == PYPROJECT
    # Most pyproject.toml files are not about flowlint: skip parsing those (faster, and a
    # broken one that is not ours does not stop the run).
    if in_pyproject and b"flowlint" not in data:
        return None
    # The TOML parser loads with the first config file read: most runs read none.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not valid UTF-8 (byte {error.start})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply to read") from None
    prefix: tuple[str, ...] = ()
    if in_pyproject:
        tool = document.get("tool")
        if not isinstance(tool, dict) or "flowlint" not in tool:
            return None
        document, prefix = tool["flowlint"], ("tool", "flowlint")
        if not isinstance(document, dict):
            raise ConfigError(f"{path}: tool.flowlint: expected a table, "
                              f"got {_describe(document)}")
    _validate(path, prefix, document)
    return _config_from_data(path, document)


def _config_from_data(path: str, data: Mapping[str, Any]) -> Config:
    fix = data.get("fix", {})
    return Config(
        path=path,
        # abspath, not resolve: paths checked against it are absolute the same way.
        root=os.path.dirname(os.path.abspath(path)),
        select=tuple(data.get("select", ())),
        ignore=tuple(data.get("ignore", ())),
        extend_select=tuple(data.get("extend-select", ())),
        per_file_ignores=tuple((glob, tuple(codes))
                               for glob, codes in data.get("per-file-ignores", {}).items()),
        exclude=tuple(data.get("exclude", ())),
        target_version=data.get("target-version", DEFAULT_TARGET_VERSION),
        fix=FixConfig(**{key.replace("-", "_"): value for key, value in fix.items()}),
        max_file_size=data.get("max-file-size"),
        rule_options=frozen(data.get("rules", {})),
    )


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    from flowlint.json_read import loads  # not the json package: ~2 ms of every start

    with open(SCHEMA_PATH, encoding="utf-8") as schema:
        return loads(schema.read())


@lru_cache(maxsize=1)
def _validator() -> Any:
    # jsonschema (~50 ms to import) is loaded only for a config file that may be invalid.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_schema())


def _validate(path: str, prefix: tuple[str, ...], data: Mapping[str, Any]) -> None:
    if surely_valid(data, _schema()):
        return
    errors = sorted(_validator().iter_errors(data), key=lambda error: [
        str(part) for part in error.absolute_path])
    if not errors:
        return
    lines = dict.fromkeys(f"{path}: {_describe_error(prefix, error, path)}" for error in errors)
    raise ConfigError("\n".join(lines))


def _describe_error(prefix: tuple[str, ...], error: Any, path: str) -> str:
    where = [*prefix, *error.absolute_path]
    schema, value = error.schema, error.instance
    if error.validator == "additionalProperties":
        return "; ".join(_unknown_key(where, key, schema, path)
                         for key in value if key not in schema.get("properties", {}))
    if "propertyNames" in error.absolute_schema_path:
        return (f"{_key_path(where)}: {toml_value(value)} is not allowed as a key; "
                f"expected {schema['x-expected']}")
    if error.validator == "enum":
        allowed = [str(option) for option in schema["enum"]]
        hint = _closest(str(value), allowed)
        return (f"{_key_path(where)}: {_describe(value)} is not allowed; expected one of "
                f"{', '.join(allowed)}" + (f" (did you mean '{hint}'?)" if hint else ""))
    expected = schema.get("x-expected")
    if expected is None:
        return f"{_key_path(where)}: {error.message}"
    return f"{_key_path(where)}: expected {expected}, got {_describe(value)}"


def _unknown_key(where: list, key: str, schema: Mapping[str, Any], path: str) -> str:
    allowed = list(schema.get("properties", {}))
    text = _unknown_text("key", _key_path([*where, key]), allowed, key)
    name = os.path.basename(path)
    if key == "tool" and name != PYPROJECT:
        text += f" ({name} takes the keys at its top level, without [tool.flowlint])"
    return text


def _unknown_text(what: str, shown: str, allowed: Iterable[str], key: str | None = None) -> str:
    allowed = list(allowed)
    hint = _closest(key if key is not None else shown, allowed)
    suggestion = f" (did you mean '{hint}'?)" if hint else ""
    listed = ", ".join(allowed) if allowed else "none"
    return f"unknown {what} '{shown}'{suggestion}; allowed: {listed}"


def _closest(word: str, options: list[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return found[0] if found else None


def _key_path(parts: Iterable[object]) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            key = toml_key(str(part))
            text += f".{key}" if text else key
    return text or "(top level)"


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a {type(value).__name__}"


# Finding the config of a checked file


def toml_key(key: str) -> str:
    """A TOML key: bare when it can be, else quoted."""
    return key if key and _BARE_KEY_CHARS.issuperset(key) else _json_string(key)


def toml_value(value: object) -> str:
    """A TOML value for a config value (also used to quote values in messages)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _json_string(value, ascii_only=False)
    if isinstance(value, Mapping):
        inner = ", ".join(f"{toml_key(key)} = {toml_value(item)}" for key, item in value.items())
        return f"{{ {inner} }}" if inner else "{}"
    if isinstance(value, Collection):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return _json_string(str(value))


def _json_string(text: str, ascii_only: bool = True) -> str:
    """`text` quoted as JSON does, which TOML reads as a basic string (the same escapes)."""
    import json  # to quote in messages and generated text only

    return json.dumps(text, ensure_ascii=ascii_only)
