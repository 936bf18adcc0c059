"""The rule catalogue: one YAML file per rule, validated against rules/schema.json.

Rules are data so that `flowlint rule`, the README table and the rule options all come from
one place; each rule's check and fix live in its module under flowlint/rules/.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType

import flowlint
from flowlint.records import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

SCHEMA_FILE = "schema.json"
TABLE_START = "<!-- rules:start -->"
TABLE_END = "<!-- rules:end -->"


class CatalogueError(Exception):
    """A rule file or the catalogue as a whole is invalid; the message names the file."""


class RuleDoc(NamedTuple):
    why: str
    example: str
    use_instead: str
    fix_safety: str


class Rule(NamedTuple):
    code: str
    name: str
    severity: str
    enabled_by_default: bool
    fixable: bool
    summary: str
    doc: RuleDoc
    parameters: Mapping[str, object]
    # A list option's closed set of values (installers, ecosystems), when it has one.
    choices: Mapping[str, tuple[str, ...]] = MappingProxyType({})


def rules_folder() -> str:
    """The catalogue folder: the copy inside the wheel, else the repository's rules/. (A
    plain check does not load pathlib: that is a few ms of every start.)"""
    package = os.path.dirname(os.path.realpath(flowlint.__file__))
    packaged = os.path.join(package, "_rules")
    if os.path.isdir(packaged):
        return packaged
    return os.path.join(os.path.dirname(package), "rules")


def rules_dir() -> Path:
    from pathlib import Path

    return Path(rules_folder())


def load_catalogue(directory: Path | None = None) -> dict[str, Rule]:
    """All rules in `directory` (default: rules_folder()), keyed by code in code order."""
    if directory is None:
        # A copy, so a caller that edits its dict cannot change what the next caller sees.
        return dict(_default_catalogue())
    from pathlib import Path

    return _load_directory(Path(directory))


@lru_cache(maxsize=1)
def _default_catalogue() -> dict[str, Rule]:
    # Cached because every checked file consults the catalogue; the shipped rules never change
    # while the process runs. They are validated by the test suite, not at every start:
    # jsonschema alone costs about 90 ms of start-up, over half the budget for one file.
    # Read from the precompiled module when it was made from exactly these rule files (their
    # bytes are compared, which costs far less than parsing them); else from the YAML.
    folder = rules_folder()
    compiled = _compiled_for(folder)
    if compiled is not None:
        rules = [_rule_from_data(data) for data in compiled.values()]
        _check_unique_names(rules, [os.path.join(folder, name) for name in compiled])
        return {rule.code: rule for rule in sorted(rules, key=lambda rule: rule.code)}
    return _load_directory(rules_dir(), validate=False)


@lru_cache(maxsize=4)
def _compiled_for(folder: str) -> dict[str, Any] | None:
    """The precompiled data of the rule files, if `folder` holds exactly the files it was
    made from (same names, same bytes)."""
    try:
        from flowlint import _catalogue_data as compiled
        names = sorted(name for name in os.listdir(folder) if name.endswith(".yaml"))
        if names != list(compiled.TEXTS) or not all(
                _read_bytes(os.path.join(folder, name)) == compiled.TEXTS[name].encode("utf-8")
                for name in names):
            return None
    except (ImportError, OSError, AttributeError):
        return None
    return compiled.RULES


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def rules_digest(paths: Iterable[Path | str]) -> str:
    """The sha256 of the rule files' names and bytes (in the order given)."""
    import hashlib

    digest = hashlib.sha256()
    for path in paths:
        name = os.path.basename(path).encode("utf-8")
        digest.update(name + b"\0" + _read_bytes(os.fspath(path)) + b"\0")
    return digest.hexdigest()


@lru_cache(maxsize=1)
def catalogue_digest() -> str:
    """The rules_digest of the default catalogue's rule files: the precompiled module's when
    those files are the ones it was made from (compared byte for byte when the catalogue
    loaded, so not read again here)."""
    folder = rules_folder()
    compiled = _compiled_for(folder)
    if compiled is not None:
        from flowlint import _catalogue_data

        return _catalogue_data.DIGEST
    return rules_digest(sorted(os.path.join(folder, name) for name in os.listdir(folder)
                               if name.endswith(".yaml")))


COMPILED_MODULE = "_catalogue_data.py"


def compiled_module_text(directory: Path | None = None) -> str:
    """The source of flowlint/_catalogue_data.py: the rule files' data, validated against
    the schema, as Python literals (rules/ stays the source of truth; a test compares)."""
    import pprint
    from pathlib import Path

    directory = Path(directory) if directory is not None else rules_dir()
    _load_directory(directory)   # validates every file, and the catalogue as a whole
    paths = sorted(directory.glob("*.yaml"))
    rules = {path.name: _read_yaml(path) for path in paths}
    texts = {path.name: path.read_bytes().decode("utf-8") for path in paths}
    return ('"""The rule catalogue, precompiled from rules/*.yaml (the source of truth) by\n'
            '`python -m flowlint.catalogue --write-module`: do not edit. Used only while the\n'
            'rule files are exactly TEXTS (flowlint.catalogue._compiled_for); else they are\n'
            'parsed."""\n\n'
            f"DIGEST = {rules_digest(paths)!r}\n\n"
            f"RULES = {pprint.pformat(rules, width=100, sort_dicts=False)}\n\n"
            f"TEXTS = {pprint.pformat(texts, width=100, sort_dicts=False)}\n")


def _load_directory(directory: Path, validate: bool = True) -> dict[str, Rule]:
    validator = _schema_validator(directory) if validate else None
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise CatalogueError(f"{directory}: no rule files (*.yaml) found")
    rules = [_load_rule_file(path, validator) for path in paths]
    _check_unique_names(rules, paths)
    return {rule.code: rule for rule in sorted(rules, key=lambda rule: rule.code)}


def _schema_validator(directory: Path) -> Any:
    # The rules folder only: a run reads the compiled catalogue.
    import json

    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    path = directory / SCHEMA_FILE
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
    except OSError as error:
        raise CatalogueError(f"{path}: cannot read the rule schema: {error}") from error
    except json.JSONDecodeError as error:
        raise CatalogueError(f"{path}: not valid JSON: {error}") from error
    except SchemaError as error:
        raise CatalogueError(f"{path}: not a valid JSON Schema: {error.message}") from error
    return Draft202012Validator(schema)


def _load_rule_file(path: Path, validator: Any | None) -> Rule:
    data = _read_yaml(path)
    if validator is None:
        return _rule_from_data(data)
    problems = sorted(validator.iter_errors(data), key=lambda error: list(error.absolute_path))
    if problems:
        details = "; ".join(_describe_schema_error(error) for error in problems)
        raise CatalogueError(f"{path}: {details}")
    if data["code"] != path.stem:
        raise CatalogueError(f"{path}: code {data['code']!r} does not match the file name")
    rule = _rule_from_data(data)
    for name, allowed in rule.choices.items():
        default = rule.parameters.get(name)
        if not isinstance(default, tuple) or not set(default) <= set(allowed):
            raise CatalogueError(f"{path}: choices.{name}: not a list option whose default's "
                                 f"items are among {list(allowed)}")
    return rule


def _read_yaml(path: Path) -> object:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogueError(f"{path}: cannot read: {error}") from error
    try:
        # The safe loader rejects duplicate keys, which would otherwise hide a typo.
        return YAML(typ="safe", pure=False).load(text)
    except YAMLError as error:
        raise CatalogueError(f"{path}: invalid YAML: {error}") from error


def _describe_schema_error(error: Any) -> str:
    where = "/".join(str(part) for part in error.absolute_path)
    return f"{error.message} (at {where})" if where else error.message


def _rule_from_data(data: Mapping[str, Any]) -> Rule:
    return Rule(
        code=data["code"],
        name=data["name"],
        severity=data["severity"],
        enabled_by_default=data["enabled_by_default"],
        fixable=data["fixable"],
        summary=data["summary"].strip(),
        doc=RuleDoc(**{key: value.strip("\n") for key, value in data["doc"].items()}),
        parameters=frozen(data.get("parameters", {})),
        choices=frozen(data.get("choices", {})),
    )


def frozen(value: Any) -> Any:
    """Read-only copies of mappings and lists: shared settings must not be mutable."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: frozen(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(frozen(item) for item in value)
    return value


def _check_unique_names(rules: list[Rule], paths: list[Path] | list[str]) -> None:
    # Codes are unique already: each must equal its file name.
    seen: dict[str, Path | str] = {}
    for rule, path in zip(rules, paths):
        if rule.name in seen:
            raise CatalogueError(f"{path}: name {rule.name!r} is already used by {seen[rule.name]}")
        seen[rule.name] = path


def rule_by_code_or_name(catalogue: Mapping[str, Rule], key: str) -> Rule | None:
    """The rule whose code ('FL001', any case) or name ('pip-install-per-execution') is `key`."""
    wanted = key.strip()
    rule = catalogue.get(wanted.upper())
    if rule is not None:
        return rule
    return next((rule for rule in catalogue.values() if rule.name == wanted.lower()), None)


def render_rule_doc(rule: Rule) -> str:
    """The text `flowlint rule FL001` prints."""
    sections = [
        f"# {rule.code} {rule.name} ({rule.severity})",
        rule.summary,
        f"Fixable: {_yes_no(rule.fixable)}. Enabled by default: {_yes_no(rule.enabled_by_default)}.",
        f"## Why is this bad?\n\n{rule.doc.why}",
        f"## Example\n\n```yaml\n{rule.doc.example}\n```",
        f"## Use instead\n\n```yaml\n{rule.doc.use_instead}\n```",
        f"## Fix safety\n\n{rule.doc.fix_safety}",
    ]
    if rule.parameters:
        sections.append(f"## Options\n\n{_render_parameters(rule.parameters, rule.choices)}")
    return "\n\n".join(sections) + "\n"


def _render_parameters(parameters: Mapping[str, object],
                       choices: Mapping[str, tuple[str, ...]]) -> str:
    return "\n".join(f"- `{name}` (default: {_plain(value)}"
                     + (f"; any of {_plain(choices[name])}" if name in choices else "") + ")"
                     for name, value in parameters.items())


def _plain(value: object) -> str:
    # JSON reads like YAML flow style and turns the frozen tuples and proxies back into plain text.
    import json

    return json.dumps(value, default=_thaw)


def _thaw(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"cannot render {value!r}")


def render_rule_table(catalogue: Mapping[str, Rule]) -> str:
    """A markdown table of the rules, for the README."""
    lines = [
        "| Code | Name | Severity | Fix | Default | Summary |",
        "|---|---|---|---|---|---|",
    ]
    for rule in catalogue.values():
        cells = (
            rule.code,
            f"`{rule.name}`",
            rule.severity,
            _yes_no(rule.fixable),
            "on" if rule.enabled_by_default else "off",
            rule.summary.replace("|", "\\|"),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def update_readme_table(readme_text: str, table: str) -> str:
    """`readme_text` with the lines between the two rules markers replaced by `table`."""
    lines = readme_text.splitlines(keepends=True)
    start = _marker_index(lines, TABLE_START, 0)
    end = _marker_index(lines, TABLE_END, start + 1)
    # Keep the README's own newline style (a CRLF checkout stays CRLF).
    newline = lines[start][len(lines[start].rstrip("\r\n")) :] or "\n"
    body = [line + newline for line in table.splitlines()]
    return "".join(lines[: start + 1] + body + lines[end:])


def _marker_index(lines: list[str], marker: str, first: int) -> int:
    for index in range(first, len(lines)):
        if lines[index].strip() == marker:
            return index
    raise ValueError(f"no line {marker!r} found in the README (after line {first})")


def _update_readme(readme: Path) -> bool:
    # newline="" so that reading and writing keep the file's own line endings.
    with readme.open(encoding="utf-8", newline="") as stream:
        text = stream.read()
    updated = update_readme_table(text, render_rule_table(load_catalogue()))
    if updated == text:
        return False
    with readme.open("w", encoding="utf-8", newline="") as stream:
        stream.write(updated)
    return True


class UnknownSelector(ValueError):
    """A --select/--ignore value (or config entry) that names no rule: a usage error, never a
    silent no-op (a CI job would pass while checking nothing)."""


def resolve_selectors(catalogue: Mapping[str, Rule], selectors: Iterable[str]) -> tuple[str, ...]:
    """Selectors as codes or code prefixes: `ALL`, `FL`, `FL0`, `fl001` or a rule name
    (`pip-install-per-execution`). Raises UnknownSelector, with a did-you-mean, for any other."""
    codes = list(catalogue)
    by_name = {rule.name: code for code, rule in catalogue.items()}
    resolved = []
    for selector in selectors:
        text = selector.strip()
        if text.lower() in by_name:
            resolved.append(by_name[text.lower()])
        elif text.upper() == "ALL" or (text and any(code.startswith(text.upper())
                                                    for code in codes)):
            resolved.append(text.upper())
        else:
            raise UnknownSelector(_unknown_selector(text, [*codes, *by_name]))
    return tuple(resolved)


def _unknown_selector(text: str, choices: list[str]) -> str:
    close = closest_choice(text, choices)
    hint = f" (did you mean '{close}'?)" if close else " (see `flowlint rules`)"
    return f"unknown rule selector '{text}'{hint}"


def closest_choice(text: str, choices: list[str]) -> str | None:
    """The code or name `text` most likely meant: one it begins, else a close spelling."""
    import difflib

    wanted = text.upper() if text[:2].lower() == "fl" else text.lower()
    close = [choice for choice in choices if wanted and choice.startswith(wanted)][:1] or \
        difflib.get_close_matches(wanted, choices, n=1, cutoff=0.6)
    return close[0] if close else None


def select_rules(known: Iterable[str], defaults: Iterable[str], select: Iterable[str] = (),
                 ignore: Iterable[str] = ()) -> frozenset[str]:
    """Codes enabled by --select/--ignore: codes or prefixes (FL0, ALL).

    A file that is not YAML (FL000) is reported whatever `select` names, as ruff reports
    syntax errors: a narrow selection must not pass a flow Kestra would reject. Only
    `ignore` turns it off."""
    known = sorted(known)
    chosen = set(_expand(select, known)) if select else set(defaults)
    if select and ALWAYS_SELECTED in known:
        chosen.add(ALWAYS_SELECTED)
    return frozenset(chosen - set(_expand(ignore, known)))


ALWAYS_SELECTED = "FL000"


def _expand(patterns: Iterable[str], known: list[str]) -> Iterable[str]:
    for pattern in patterns:
        pattern = pattern.strip().upper()
        if pattern == "ALL":
            yield from known
        else:
            yield from (code for code in known if code.startswith(pattern))


def _main(argv: list[str]) -> int:
    from pathlib import Path

    if argv == ["--write-module"]:
        target = Path(flowlint.__file__).resolve().parent / COMPILED_MODULE
        target.write_text(compiled_module_text(), encoding="utf-8")
        print(f"{target}: written")
        return 0
    if argv == ["--update-readme"]:
        readme = Path(flowlint.__file__).resolve().parent.parent / "README.md"
        changed = _update_readme(readme)
        print(f"{readme}: {'rule table updated' if changed else 'rule table already current'}")
        return 0
    if not argv:
        sys.stdout.write(render_rule_table(load_catalogue()))
        return 0
    print("usage: python -m flowlint.catalogue [--update-readme | --write-module]",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
