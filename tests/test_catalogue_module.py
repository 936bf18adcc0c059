"""The precompiled catalogue (flowlint/_catalogue_data.py) is exactly rules/*.yaml: the same
text as the generator writes today, the same rules once loaded; a rule file edited since is
read from the YAML, never from a stale module; the wheel ships the module with the rules."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import REPO

from flowlint import _catalogue_data, catalogue
from flowlint.catalogue import (
    COMPILED_MODULE,
    _default_catalogue,
    _load_directory,
    compiled_module_text,
    load_catalogue,
    rules_digest,
)

RULES = REPO / "rules"


def test_the_module_is_what_the_rule_files_compile_to() -> None:
    written = (REPO / "flowlint" / COMPILED_MODULE).read_text(encoding="utf-8")
    assert written == compiled_module_text(RULES), (
        "rules/*.yaml changed: run `python -m flowlint.catalogue --write-module`")
    assert _catalogue_data.DIGEST == rules_digest(sorted(RULES.glob("*.yaml")))


def test_the_module_loads_the_same_rules_as_the_yaml() -> None:
    from_yaml = _load_directory(RULES)   # validated against rules/schema.json
    assert load_catalogue() == from_yaml
    assert list(load_catalogue()) == list(from_yaml)


def test_an_edited_rule_file_is_read_from_the_yaml(tmp_path: Path, monkeypatch) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    edited = copy / "FL001.yaml"
    edited.write_text(edited.read_text(encoding="utf-8").replace(
        "summary: ", "summary: Edited. ", 1), encoding="utf-8")
    shipped = catalogue.catalogue_digest()
    assert shipped == catalogue.rules_digest(sorted(RULES.glob("*.yaml")))
    monkeypatch.setattr(catalogue, "rules_folder", lambda: str(copy))
    _default_catalogue.cache_clear()
    catalogue.catalogue_digest.cache_clear()
    try:
        assert load_catalogue()["FL001"].summary.startswith("Edited. ")
        # Results cached under the shipped rules are not answers for the edited ones.
        assert catalogue.catalogue_digest() == catalogue.rules_digest(
            sorted(copy.glob("*.yaml"))) != shipped
    finally:
        _default_catalogue.cache_clear()
        catalogue.catalogue_digest.cache_clear()


def test_a_plain_load_reads_no_yaml(monkeypatch) -> None:
    def no_yaml(path: Path) -> object:
        raise AssertionError(f"{path} parsed: the precompiled module should have been used")

    monkeypatch.setattr(catalogue, "_read_yaml", no_yaml)
    _default_catalogue.cache_clear()
    try:
        assert "FL001" in load_catalogue()
    finally:
        _default_catalogue.cache_clear()


@pytest.mark.slow
def test_the_wheel_ships_the_module_made_from_its_rules(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                    str(tmp_path), str(REPO)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        module = archive.read(f"flowlint/{COMPILED_MODULE}").decode("utf-8")
        rules = sorted(name for name in names
                       if name.startswith("flowlint/_rules/") and name.endswith(".yaml"))
        digest = hashlib.sha256()
        for name in rules:
            digest.update(name.rsplit("/", 1)[1].encode() + b"\0" + archive.read(name) + b"\0")
    assert rules and f"DIGEST = {digest.hexdigest()!r}" in module
