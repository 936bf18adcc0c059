"""The VS Code extension (editors/vscode) cannot drift from the server, checked without
node: every setting its package.json contributes is sent under a key the server reads
(flowlint.lsp.workspace_config.parse_overrides) or only starts the server; the defaults
override nothing; the fix.strategy choices are flowlint's STRATEGIES and auto. The
extension's own behaviour is tested by `node --test` in editors/vscode (its README)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from flowlint.catalogue import load_catalogue
from flowlint.lsp.workspace_config import Overrides, parse_overrides
from flowlint.remedies.fix_options import STRATEGIES

EXTENSION = Path(__file__).resolve().parent.parent / "editors" / "vscode"
MANIFEST = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
PROPERTIES = MANIFEST["contributes"]["configuration"]["properties"]
SETTINGS_JS = (EXTENSION / "settings.js").read_text(encoding="utf-8")

# An example value per server key, and the Overrides it must give.
EXAMPLES = {
    "select": (["FL001"], Overrides(select=("FL001",))),
    "target-version": ("0.19", Overrides(target_version="0.19")),
    "fix.strategy": ("dependencies", Overrides(strategy="dependencies")),
}


def js_object(name: str) -> str:
    found = re.search(rf"const {name} = Object\.freeze\((.*?)\);", SETTINGS_JS, re.S)
    assert found, f"{name} not found in settings.js"
    return found.group(1)


def server_keys() -> dict[str, str]:
    """settings.js's SERVER_KEYS: VS Code setting -> the server's key."""
    return dict(re.findall(r"'?([\w.]+)'?\s*:\s*'([\w.-]+)'", js_object("SERVER_KEYS")))


def launch_keys() -> set[str]:
    return set(re.findall(r"'([\w.]+)'", js_object("LAUNCH_KEYS")))


def nested(values: dict[str, object]) -> dict:
    """Dotted settings as VS Code hands a section over: {'fix.strategy': x} -> {'fix': {'strategy': x}}."""
    result: dict = {}
    for key, value in values.items():
        *parents, last = key.split(".")
        at = result
        for part in parents:
            at = at.setdefault(part, {})
        at[last] = value
    return result


def as_server_object(server_key: str, value: object) -> dict:
    # settings.js sends fix.strategy nested ({"fix": {"strategy": ...}}).
    return nested({server_key: value})


def test_settings_js_keys_are_read():
    assert server_keys() == {"select": "select", "targetVersion": "target-version",
                             "fix.strategy": "fix.strategy"}
    assert launch_keys() == {"path", "args", "trace.server"}


def test_every_contributed_setting_is_sent_to_the_server_or_starts_it():
    contributed = {key.removeprefix("flowlint.") for key in PROPERTIES}
    assert all(key.startswith("flowlint.") for key in PROPERTIES)
    assert contributed == set(server_keys()) | launch_keys()
    assert not set(server_keys()) & launch_keys()


@pytest.mark.parametrize("setting", ["select", "targetVersion", "fix.strategy"])
def test_each_server_key_is_read_by_the_server(setting):
    catalogue = load_catalogue()
    server_key = server_keys()[setting]
    value, expected = EXAMPLES[server_key]
    # As the extension sends it (initializationOptions, workspace/configuration answers).
    assert parse_overrides(as_server_object(server_key, value), catalogue) == (expected, [])
    # The dotted spelling too.
    assert parse_overrides({server_key: value}, catalogue) == (expected, [])
    # And the raw VS Code spelling, should a payload ever bypass the extension's mapping.
    assert parse_overrides(nested({setting: value}), catalogue) == (expected, [])


def test_the_defaults_override_nothing():
    defaults = nested({key.removeprefix("flowlint."): spec["default"]
                       for key, spec in PROPERTIES.items()})
    assert defaults["select"] == [] and defaults["targetVersion"] is None
    assert defaults["fix"] == {"strategy": None}
    assert (defaults["path"], defaults["args"]) == ("flowlint", ["server"])
    # The raw section, as vscode-languageclient would send it without the middleware.
    assert parse_overrides(defaults, load_catalogue()) == (Overrides(), [])
    # The mapped section (settings.js leaves every unset value out).
    assert parse_overrides({}, load_catalogue()) == (Overrides(), [])


def test_the_strategies_are_flowlints_and_auto():
    spec = PROPERTIES["flowlint.fix.strategy"]
    choices = [value for value in spec["enum"] if value is not None]
    assert choices == ["auto", *STRATEGIES]
    assert spec["default"] is None and None in spec["enum"]
    assert len(spec["enumDescriptions"]) == len(spec["enum"])
    catalogue = load_catalogue()
    for choice in choices:
        assert parse_overrides({"fix": {"strategy": choice}}, catalogue) == \
            (Overrides(strategy=choice), [])


def test_the_manifest():
    assert MANIFEST["name"] == "flowlint"
    assert MANIFEST["activationEvents"] == ["onLanguage:yaml"]
    assert MANIFEST["main"] == "./extension.js" and (EXTENSION / "extension.js").is_file()
    assert re.fullmatch(r"\^1\.\d+\.\d+", MANIFEST["engines"]["vscode"])
    assert "vscode-languageclient" in MANIFEST["dependencies"]
    assert {command["command"] for command in MANIFEST["contributes"]["commands"]} == \
        {"flowlint.fixAll", "flowlint.restartServer"}
    extension = (EXTENSION / "extension.js").read_text(encoding="utf-8")
    assert "'source.fixAll.flowlint'" in extension
    assert "configurationSection: SECTION" in extension and "const SECTION = 'flowlint'" in extension


def test_builds_are_reproducible_and_node_modules_stay_out():
    lock = json.loads((EXTENSION / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"][""]["dependencies"] == MANIFEST["dependencies"]
    assert "node_modules/vscode-languageclient" in lock["packages"]
    ignored = (EXTENSION / ".gitignore").read_text(encoding="utf-8").split()
    assert "node_modules/" in ignored and "*.vsix" in ignored
