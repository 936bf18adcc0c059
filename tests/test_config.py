"""Configuration: discovery, validation messages, globs, merging and the settings printout."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from flowlint.config import (
    CONFIG_FILE_NAMES,
    Config,
    ConfigError,
    FixConfig,
    load_config_file,
    merged,
    rule_parameters,
)
from flowlint.report.settings_text import effective_settings_text
from flowlint.settings import ConfigResolver
from flowlint.source import DEFAULT_MAX_BYTES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def flow(path: Path) -> Path:
    return write(path, "id: f\nnamespace: n\ntasks: []\n")


def error_for(tmp_path: Path, text: str, name: str = ".flowlint.toml") -> str:
    path = write(tmp_path / name, text)
    with pytest.raises(ConfigError) as caught:
        load_config_file(path)
    message = str(caught.value)
    assert str(path) in message
    return message


# Discovery


def test_no_config_file_gives_the_defaults_rooted_at_cwd(tmp_path: Path) -> None:
    config = ConfigResolver(cwd=tmp_path).for_path(flow(tmp_path / "x.yaml"))
    assert config.path is None
    assert config.root == str(tmp_path)
    assert config == Config(path=None, root=str(tmp_path))


def test_nearest_config_wins_across_nested_folders(tmp_path: Path) -> None:
    top = write(tmp_path / ".flowlint.toml", 'select = ["FL001"]\n')
    middle = write(tmp_path / "a" / "pyproject.toml",
                   '[project]\nname = "x"\n\n[tool.flowlint]\nselect = ["FL002"]\n')
    resolver = ConfigResolver(cwd=tmp_path)

    assert resolver.for_path(flow(tmp_path / "top.yaml")).path == str(top)
    deep = resolver.for_path(flow(tmp_path / "a" / "b" / "c" / "deep.yaml"))
    assert deep.path == str(middle)
    assert deep.select == ("FL002",)
    assert deep.root == str(tmp_path / "a")
    assert resolver.for_path(tmp_path / "a" / "inside.yaml").select == ("FL002",)


def test_a_walk_tells_the_search_which_config_files_its_folders_hold(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Folders the walk listed are not asked about config names their listing lacks (three
    stats a folder, on every run); the config files it listed are found as before, and
    folders above the walk are searched as before."""
    from flowlint import settings as settings_module
    from flowlint.files import files_to_read

    project = tmp_path / "project"
    flow(project / "a" / "b" / "one.yaml")
    flow(project / "c" / "two.yaml")
    middle = write(project / "c" / "flowlint.toml", 'select = ["FL002"]\n')
    top = write(tmp_path / ".flowlint.toml", 'select = ["FL001"]\n')
    asked: list[str] = []
    exists = settings_module._exists
    monkeypatch.setattr(settings_module, "_exists",
                        lambda path: asked.append(path) or exists(path))
    monkeypatch.chdir(project)
    resolver = ConfigResolver()
    files = files_to_read(["."], (), False, lambda path: False, listed=resolver.listed)
    assert sorted(files) == [str(Path("a", "b", "one.yaml")), str(Path("c", "two.yaml"))]
    assert resolver.for_path(files[1], False).path == str(middle)
    assert resolver.for_path(files[0], False).path == str(top)
    assert asked == [str(middle), *(str(tmp_path / name) for name in CONFIG_FILE_NAMES[:1])]


def test_a_folder_reached_through_a_link_and_dotdot_keeps_its_config(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`lnk/../x` is the folder x beside the link as written (the config search reads the
    path so), though the walk lists the link target's sibling: its listing must not
    answer for `x`."""
    from flowlint.files import files_to_read

    (tmp_path / "other" / "deep").mkdir(parents=True)
    flow(tmp_path / "other" / "x" / "f.yaml")
    config = write(tmp_path / "proj" / "x" / ".flowlint.toml", 'select = ["FL004"]\n')
    (tmp_path / "proj" / "lnk").symlink_to(tmp_path / "other" / "deep")
    monkeypatch.chdir(tmp_path / "proj")
    resolver = ConfigResolver()
    top = os.path.join("lnk", "..", "x")
    files = files_to_read([top], (), False, lambda path: False, listed=resolver.listed)
    assert files == [os.path.join(top, "f.yaml")]
    assert resolver.for_path(files[0], False).path == str(config)


def test_an_unsearchable_folder_is_an_error_not_a_guess(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flowlint import settings as settings_module

    def denied(path: str) -> None:
        raise PermissionError(13, "Permission denied", path)

    flow(tmp_path / "x.yaml")
    monkeypatch.setattr(settings_module.os, "stat", denied)
    with pytest.raises(ConfigError, match="cannot tell whether this config file exists: "
                                          "Permission denied"):
        ConfigResolver(cwd=tmp_path).for_path(tmp_path / "x.yaml", False)


def test_pyproject_without_a_flowlint_table_is_skipped(tmp_path: Path) -> None:
    top = write(tmp_path / ".flowlint.toml", 'ignore = ["FL004"]\n')
    # Mentions flowlint, so it is parsed, but configures nothing.
    write(tmp_path / "a" / "pyproject.toml",
          '[project]\nname = "x"\ndependencies = ["flowlint"]\n[tool.other]\nx = 1\n')
    config = ConfigResolver(cwd=tmp_path).for_path(flow(tmp_path / "a" / "x.yaml"))
    assert config.path == str(top)
    assert config.ignore == ("FL004",)


def test_unrelated_broken_pyproject_is_skipped(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[project\nname = \n")
    config = ConfigResolver(cwd=tmp_path).for_path(flow(tmp_path / "x.yaml"))
    assert config.path is None


def test_broken_config_found_by_discovery_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", "[tool.flowlint\nselect = 1\n")
    with pytest.raises(ConfigError, match="invalid TOML") as caught:
        ConfigResolver(cwd=tmp_path).for_path(flow(tmp_path / "x.yaml"))
    assert str(path) in str(caught.value)


def test_flowlint_toml_wins_over_pyproject_in_the_same_folder(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.flowlint]\nselect = ["FL002"]\n')
    own = write(tmp_path / ".flowlint.toml", 'select = ["FL001"]\n')
    config = ConfigResolver(cwd=tmp_path).for_path(flow(tmp_path / "x.yaml"))
    assert config.path == str(own)
    assert config.select == ("FL001",)


def test_flowlint_toml_without_the_dot_is_read_too(tmp_path: Path) -> None:
    """`.flowlint.toml`, then `flowlint.toml`, then `pyproject.toml` in one folder, as ruff
    reads its own; `flowlint.toml` takes the same keys at the top level."""
    write(tmp_path / "pyproject.toml", '[tool.flowlint]\nselect = ["FL002"]\n')
    plain = write(tmp_path / "flowlint.toml", 'select = ["FL004"]\n')
    config = ConfigResolver(cwd=tmp_path).for_path(flow(tmp_path / "x.yaml"))
    assert (config.path, config.select) == (str(plain), ("FL004",))
    dotted = write(tmp_path / ".flowlint.toml", 'select = ["FL001"]\n')
    assert ConfigResolver(cwd=tmp_path).for_path(flow(tmp_path / "x.yaml")).path == str(dotted)
    assert "select" in error_for(tmp_path, 'select = "FL001"\n', "flowlint.toml")


def test_relative_paths_are_taken_from_cwd_and_folders_are_cached(tmp_path: Path) -> None:
    write(tmp_path / "sub" / ".flowlint.toml", 'select = ["FL001"]\n')
    flow(tmp_path / "sub" / "one.yaml")
    flow(tmp_path / "sub" / "two.yaml")
    resolver = ConfigResolver(cwd=tmp_path)
    first = resolver.for_path(Path("sub/one.yaml"))
    assert first.select == ("FL001",)
    assert resolver.for_path("sub/two.yaml") is first


def test_explicit_config_is_used_for_every_file(tmp_path: Path) -> None:
    write(tmp_path / ".flowlint.toml", 'select = ["FL001"]\n')
    chosen = write(tmp_path / "configs" / "strict.toml", 'select = ["ALL"]\n')
    resolver = ConfigResolver(explicit=Path("configs/strict.toml"), cwd=tmp_path)
    for name in ("x.yaml", "deep/er/y.yaml"):
        config = resolver.for_path(flow(tmp_path / name))
        assert config.path == str(chosen)
        assert config.select == ("ALL",)
        assert config.root == str(tmp_path / "configs")


def test_explicit_pyproject_reads_its_table(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", '[tool.flowlint]\ntarget-version = "0.18"\n')
    assert ConfigResolver(explicit=path).for_path(tmp_path / "x.yaml").target_version == "0.18"


def test_explicit_pyproject_without_table_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    with pytest.raises(ConfigError, match=r"no \[tool.flowlint\] table") as caught:
        ConfigResolver(explicit=path)
    assert str(path) in str(caught.value)


def test_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        ConfigResolver(explicit=tmp_path / "nope.toml")


def test_isolated_ignores_every_config_file(tmp_path: Path) -> None:
    write(tmp_path / ".flowlint.toml", 'select = ["FL001"]\n')
    config = ConfigResolver(isolated=True, cwd=tmp_path).for_path(flow(tmp_path / "x.yaml"))
    assert config == Config(path=None, root=str(tmp_path))


def test_isolated_with_explicit_config_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / ".flowlint.toml", "")
    with pytest.raises(ConfigError, match="--config and --isolated"):
        ConfigResolver(explicit=path, isolated=True)


# Reading and validation


def test_every_key_is_read(tmp_path: Path) -> None:
    path = write(tmp_path / ".flowlint.toml", """
select = ["FL0"]
ignore = ["FL002"]
extend-select = ["FL004"]
exclude = ["drafts"]
target-version = "0.18"
max-file-size = 1000

[per-file-ignores]
"legacy/*.yaml" = ["FL001", "FL004"]

[fix]
strategy = "custom-image"
image = "registry.local/{namespace}/{flow}-{task}:latest"
cache-layout = "venv"
ttl = "P1DT12H"

[rules.FL001]
installers = ["pip"]
""")
    config = load_config_file(path)
    assert config.path == str(path)
    assert config.root == str(tmp_path)
    assert config.select == ("FL0",)
    assert config.ignore == ("FL002",)
    assert config.extend_select == ("FL004",)
    assert config.exclude == ("drafts",)
    assert config.target_version == "0.18"
    assert config.max_file_size == 1000
    assert config.per_file_ignores == (("legacy/*.yaml", ("FL001", "FL004")),)
    assert config.fix == FixConfig("custom-image",
                                   "registry.local/{namespace}/{flow}-{task}:latest",
                                   "venv", "P1DT12H")
    assert dict(config.rule_options["FL001"]) == {"installers": ("pip",)}
    hash(config)  # usable as a cache key


def test_empty_file_gives_defaults_with_its_path(tmp_path: Path) -> None:
    path = write(tmp_path / ".flowlint.toml", "")
    config = load_config_file(path)
    assert config == Config(path=str(path), root=str(tmp_path))
    assert config.fix == FixConfig("auto", None, "deps", "PT24H")


def test_unknown_key_names_the_allowed_keys_and_the_closest(tmp_path: Path) -> None:
    message = error_for(tmp_path, 'ignroe = ["FL001"]\n')
    assert "unknown key 'ignroe'" in message
    assert "did you mean 'ignore'?" in message
    assert ("allowed: select, ignore, extend-select, per-file-ignores, exclude, "
            "target-version, fix, max-file-size, rules") in message


def test_unknown_key_without_a_close_match_has_no_suggestion(tmp_path: Path) -> None:
    message = error_for(tmp_path, "colour = true\n")
    assert "unknown key 'colour'" in message
    assert "did you mean" not in message


def test_unknown_nested_key_gives_its_path(tmp_path: Path) -> None:
    message = error_for(tmp_path, '[fix]\nstratgy = "auto"\n')
    assert "unknown key 'fix.stratgy' (did you mean 'strategy'?)" in message
    assert "allowed: strategy, image, cache-layout, ttl" in message


def test_wrong_strategy_lists_the_choices(tmp_path: Path) -> None:
    message = error_for(tmp_path, '[fix]\nstrategy = "dependency"\n')
    assert ("fix.strategy: 'dependency' is not allowed; expected one of dependencies, "
            "working-dir-cache, custom-image, process-runner, auto") in message
    assert "did you mean 'dependencies'?" in message


def test_key_path_in_pyproject_includes_the_table(tmp_path: Path) -> None:
    message = error_for(tmp_path, '[tool.flowlint.fix]\nstrategy = 3\n', "pyproject.toml")
    assert "tool.flowlint.fix.strategy: the number 3 is not allowed" in message


def test_wrong_cache_layout(tmp_path: Path) -> None:
    message = error_for(tmp_path, '[fix]\ncache-layout = "venvs"\n')
    assert "fix.cache-layout: 'venvs' is not allowed; expected one of deps, venv" in message


@pytest.mark.parametrize("ttl", ["PT24H", "P1D", "PT30M", "PT1H30M", "PT0.5S", "P2DT3H"])
def test_valid_ttl(tmp_path: Path, ttl: str) -> None:
    path = write(tmp_path / ".flowlint.toml", f'[fix]\nttl = "{ttl}"\n')
    assert load_config_file(path).fix.ttl == ttl


@pytest.mark.parametrize("ttl", ["24h", "PT", "P", "P1Y", "P1DT", "pt24h", "PT24H "])
def test_invalid_ttl(tmp_path: Path, ttl: str) -> None:
    message = error_for(tmp_path, f'[fix]\nttl = "{ttl}"\n')
    assert "fix.ttl: expected an ISO-8601 duration" in message
    assert '"PT24H"' in message
    assert repr(ttl) in message


def test_image_placeholders(tmp_path: Path) -> None:
    message = error_for(tmp_path, '[fix]\nimage = "repo/{flw}:1"\n')
    assert "fix.image: expected an image reference whose only placeholders are {namespace}, " \
           "{flow} and {task}, got 'repo/{flw}:1'" in message


@pytest.mark.parametrize("value, got", [("1.0", "the number 1.0"), ('"3.0"', "'3.0'"),
                                        ('"0.14"', "'0.14'"), ('"latest"', "'latest'")])
def test_wrong_target_version(tmp_path: Path, value: str, got: str) -> None:
    message = error_for(tmp_path, f"target-version = {value}\n")
    assert ('target-version: expected a Kestra version from "0.15" to "2.0" written as a '
            f'string, like "1.0" or "0.18", got {got}') in message


@pytest.mark.parametrize("version", ["0.15", "0.18", "0.24", "1.0", "1.12", "2.0"])
def test_valid_target_versions(tmp_path: Path, version: str) -> None:
    path = write(tmp_path / ".flowlint.toml", f'target-version = "{version}"\n')
    assert load_config_file(path).target_version == version


@pytest.mark.parametrize("value, got", [("0", "the number 0"), ('"big"', "'big'"),
                                        ("true", "the boolean true"), ("1.5", "the number 1.5")])
def test_wrong_max_file_size(tmp_path: Path, value: str, got: str) -> None:
    message = error_for(tmp_path, f"max-file-size = {value}\n")
    assert f"max-file-size: expected a positive whole number of bytes, got {got}" in message


def test_wrong_type_for_a_list(tmp_path: Path) -> None:
    message = error_for(tmp_path, 'select = "FL001"\n')
    assert ('select: expected a list of rule codes, prefixes or names, like ["FL001", "FL0", '
            '"pip-install-per-execution"] or '
            "[\"ALL\"], got 'FL001'") in message


def test_wrong_item_in_a_list_gives_its_index(tmp_path: Path) -> None:
    message = error_for(tmp_path, 'extend-select = ["FL001", "E501"]\n')
    assert "extend-select[1]: expected a rule code, prefix or name like \"FL001\", \"FL0\", " \
           "\"ALL\" or \"pip-install-per-execution\", got 'E501'" in message


def test_per_file_ignores_value_must_be_a_list(tmp_path: Path) -> None:
    message = error_for(tmp_path, '[per-file-ignores]\n"flows/*.yaml" = "FL001"\n')
    assert "per-file-ignores.\"flows/*.yaml\": expected a list of rule codes" in message


def test_exclude_items_must_be_strings(tmp_path: Path) -> None:
    message = error_for(tmp_path, "exclude = [1]\n")
    assert "exclude[0]: expected a non-empty glob, got the number 1" in message


def test_rules_keys_must_be_codes_and_values_tables(tmp_path: Path) -> None:
    message = error_for(tmp_path, "[rules]\nFL1 = {}\nFL002 = 3\n")
    assert 'rules: "FL1" is not allowed as a key; expected a rule code like FL001' in message
    assert "rules.FL002: expected a table of options, got the number 3" in message


def test_every_problem_is_reported_on_its_own_line(tmp_path: Path) -> None:
    message = error_for(tmp_path, 'select = "x"\n[fix]\nttl = "1h"\n')
    lines = message.splitlines()
    assert len(lines) == 2
    assert all(line.startswith(str(tmp_path / ".flowlint.toml") + ": ") for line in lines)
    assert lines[0].split(": ")[1] == "fix.ttl"
    assert lines[1].split(": ")[1] == "select"


def test_table_header_in_flowlint_toml_gets_a_hint(tmp_path: Path) -> None:
    message = error_for(tmp_path, '[tool.flowlint]\nselect = ["FL001"]\n')
    assert "unknown key 'tool'" in message
    assert "takes the keys at its top level, without [tool.flowlint]" in message


def test_invalid_toml_names_the_file_and_position(tmp_path: Path) -> None:
    message = error_for(tmp_path, 'select = ["FL001"]\nignore = [FL002]\n')
    assert "invalid TOML" in message
    assert "line 2" in message


def test_tool_flowlint_must_be_a_table(tmp_path: Path) -> None:
    message = error_for(tmp_path, '[tool]\nflowlint = "on"\n', "pyproject.toml")
    assert "tool.flowlint: expected a table, got 'on'" in message


def test_non_utf8_config_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / ".flowlint.toml"
    path.write_bytes(b"select = ['\xff']\n")
    with pytest.raises(ConfigError, match="not valid UTF-8"):
        load_config_file(path)


# Globs


def glob_config(tmp_path: Path, per_file_ignores=(), exclude=()) -> Config:
    return Config(path=tmp_path / ".flowlint.toml", root=tmp_path,
                  per_file_ignores=tuple(per_file_ignores), exclude=tuple(exclude))


def test_per_file_ignores_match_paths_relative_to_the_config(tmp_path: Path) -> None:
    config = glob_config(tmp_path, [("legacy/*.yaml", ("FL001",)),
                                    ("**/test_*.yaml", ("FL002", "FL004")),
                                    ("*.yml", ("FL004",))])
    assert config.ignored_codes_for(tmp_path / "legacy" / "old.yaml") == {"FL001"}
    # fnmatch: '*' crosses folders.
    assert config.ignored_codes_for(tmp_path / "legacy" / "deep" / "old.yaml") == {"FL001"}
    assert config.ignored_codes_for(tmp_path / "flows" / "legacy" / "old.yaml") == frozenset()
    # '**/' may match no folder at all.
    assert config.ignored_codes_for(tmp_path / "test_a.yaml") == {"FL002", "FL004"}
    assert config.ignored_codes_for(tmp_path / "a" / "b" / "test_a.yaml") == {"FL002", "FL004"}
    assert config.ignored_codes_for(tmp_path / "a" / "test_a.yml") == {"FL004"}
    assert config.ignored_codes_for(tmp_path / "other.yaml") == frozenset()


def test_zero_folder_match_inside_a_pattern(tmp_path: Path) -> None:
    config = glob_config(tmp_path, [("flows/**/prod.yaml", ("FL001",))])
    assert config.ignored_codes_for(tmp_path / "flows" / "prod.yaml") == {"FL001"}
    assert config.ignored_codes_for(tmp_path / "flows" / "a" / "b" / "prod.yaml") == {"FL001"}
    assert config.ignored_codes_for(tmp_path / "other" / "prod.yaml") == frozenset()


def test_a_folder_pattern_covers_the_files_below(tmp_path: Path) -> None:
    config = glob_config(tmp_path, [("vendor", ("FL001",))])
    assert config.ignored_codes_for(tmp_path / "vendor" / "a" / "x.yaml") == {"FL001"}
    assert config.ignored_codes_for(tmp_path / "vendored.yaml") == frozenset()


def test_files_outside_the_root_match_nothing(tmp_path: Path) -> None:
    config = glob_config(tmp_path / "project", [("*", ("FL001",))], ["*"])
    assert config.ignored_codes_for(tmp_path / "elsewhere" / "x.yaml") == frozenset()
    assert not config.is_excluded(tmp_path / "elsewhere" / "x.yaml")


def test_relative_paths_are_relative_to_the_working_folder(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = glob_config(tmp_path, [("legacy/*", ("FL001",))], ["drafts/**"])
    assert config.ignored_codes_for("legacy/a.yaml") == {"FL001"}
    assert config.is_excluded(Path("drafts") / "x.yaml")
    assert not config.is_excluded("flows/x.yaml")


def test_exclude(tmp_path: Path) -> None:
    config = glob_config(tmp_path, exclude=["drafts", "**/*.tmp.yaml", "generated/*"])
    assert config.is_excluded(tmp_path / "drafts" / "a.yaml")
    assert config.is_excluded(tmp_path / "drafts")
    assert config.is_excluded(tmp_path / "x.tmp.yaml")
    assert config.is_excluded(tmp_path / "a" / "b" / "x.tmp.yaml")
    assert config.is_excluded(tmp_path / "generated" / "deep" / "x.yaml")
    assert not config.is_excluded(tmp_path / "flows" / "drafts.yaml")
    # One name matches at any depth (ruff, .gitignore); a leading '/' anchors it.
    assert config.is_excluded(tmp_path / "flows" / "drafts" / "a.yaml")
    assert not config.is_excluded(tmp_path / "x.yaml")
    anchored = glob_config(tmp_path, exclude=["/drafts"])
    assert anchored.is_excluded(tmp_path / "drafts" / "a.yaml")
    assert not anchored.is_excluded(tmp_path / "flows" / "drafts" / "a.yaml")


def test_globs_from_a_discovered_file_are_relative_to_its_folder(tmp_path: Path) -> None:
    write(tmp_path / "team" / ".flowlint.toml",
          'exclude = ["old"]\n[per-file-ignores]\n"legacy/*" = ["FL001"]\n')
    resolver = ConfigResolver(cwd=tmp_path)
    config = resolver.for_path(flow(tmp_path / "team" / "legacy" / "a.yaml"))
    assert config.ignored_codes_for(tmp_path / "team" / "legacy" / "a.yaml") == {"FL001"}
    assert config.is_excluded(tmp_path / "team" / "old" / "b.yaml")
    assert not config.is_excluded(tmp_path / "old" / "b.yaml")


# Rules, merging and the printout


KNOWN = ["FL000", "FL001", "FL002", "FL004", "FL900"]
DEFAULTS = ["FL000", "FL001", "FL002", "FL004"]


def test_enabled_rules(tmp_path: Path) -> None:
    config = Config(path=None, root=tmp_path, select=("FL00",), ignore=("FL002",),
                    extend_select=("FL9",), per_file_ignores=(("legacy/*", ("FL001",)),))
    assert config.enabled_rules(tmp_path / "x.yaml", KNOWN, DEFAULTS) == {
        "FL000", "FL001", "FL004", "FL900"}
    assert config.enabled_rules(tmp_path / "legacy" / "x.yaml", KNOWN, DEFAULTS) == {
        "FL000", "FL004", "FL900"}


def test_enabled_rules_extend_the_defaults_without_select(tmp_path: Path) -> None:
    config = Config(path=None, root=tmp_path, extend_select=("FL900",), ignore=("FL000",))
    assert config.enabled_rules(tmp_path / "x.yaml", KNOWN, DEFAULTS) == {
        "FL001", "FL002", "FL004", "FL900"}
    assert Config(path=None, root=tmp_path).enabled_rules("x.yaml", KNOWN, DEFAULTS) == set(
        DEFAULTS)


def test_merged_replaces_what_is_given(tmp_path: Path) -> None:
    config = Config(path=None, root=tmp_path, select=("FL001",), target_version="0.18",
                    fix=FixConfig(strategy="dependencies", ttl="PT1H"))
    result = merged(config, select=["FL002", "FL004"], ignore=None, target_version="1.0",
                    max_file_size=None, fix={"strategy": "custom-image", "image": None})
    assert result.select == ("FL002", "FL004")
    assert result.ignore == ()
    assert result.target_version == "1.0"
    assert result.max_file_size is None
    assert result.fix == FixConfig(strategy="custom-image", ttl="PT1H")
    assert merged(config) == config
    assert merged(config, fix=FixConfig()).fix == FixConfig()
    with pytest.raises(TypeError, match="selct"):
        merged(config, selct=["FL001"])


def test_rule_parameters_override_the_catalogue(tmp_path: Path) -> None:
    path = write(tmp_path / ".flowlint.toml", '[rules.FL001]\ninstallers = ["pip", "uv"]\n')
    defaults = {"FL001": {"installers": ("pip", "uv", "conda")}, "FL002": {}}
    assert rule_parameters(load_config_file(path), defaults) == {
        "FL001": {"installers": ("pip", "uv")}, "FL002": {}}


def test_rule_parameters_reject_unknown_codes_options_and_kinds(tmp_path: Path) -> None:
    defaults = {"FL001": {"installers": ("pip",)}}
    cases = [
        ("[rules.FL003]\nx = 1\n", "unknown rule 'rules.FL003' (did you mean 'FL001'?); "
                                   "allowed: FL001"),
        ("[rules.FL001]\ninstaller = []\n", "unknown option 'rules.FL001.installer' (did you "
                                            "mean 'installers'?); allowed: installers"),
        ('[rules.FL001]\ninstallers = "pip"\n', "rules.FL001.installers: expected a list like "
                                                "[\"pip\"], got 'pip'"),
        # The rules read the items as names: `[1]` made every file an internal error.
        ("[rules.FL001]\ninstallers = [1]\n", "rules.FL001.installers: expected a list of "
                                              "strings like [\"pip\"], got the number 1 at "
                                              "position 1"),
        ('[rules.FL001]\ninstallers = ["uv", {a = 1}]\n', "rules.FL001.installers: expected a "
                                                        "list of strings like [\"pip\"], got a "
                                                        "table at position 2"),
    ]
    for text, expected in cases:
        path = write(tmp_path / ".flowlint.toml", text)
        with pytest.raises(ConfigError) as caught:
            rule_parameters(load_config_file(path), defaults)
        assert str(caught.value) == f"{path}: {expected}"


@pytest.mark.parametrize(("text", "expected"), [
    ('[rules.FL009]\necosystems = ["node", "nodee"]\n',
     'rules.FL009.ecosystems: "nodee" at position 2 is not one of ["node", "system", "r", '
     '"julia"] (did you mean "node"?)'),
    ('[rules.FL007]\ninstallers = ["conda"]\n',
     'rules.FL007.installers: "conda" at position 1 is not one of ["pip", "uv", "pipenv", '
     '"poetry"]'),
])
def test_a_value_outside_an_options_choices_is_an_error(tmp_path: Path, text: str,
                                                          expected: str) -> None:
    """A typo in a closed list (`"nodee"`) would turn a check off without a word."""
    from flowlint.catalogue import load_catalogue

    catalogue = load_catalogue()
    path = write(tmp_path / ".flowlint.toml", text)
    with pytest.raises(ConfigError) as caught:
        rule_parameters(load_config_file(path),
                        {code: dict(rule.parameters) for code, rule in catalogue.items()},
                        {code: rule.choices for code, rule in catalogue.items()})
    assert str(caught.value) == f"{path}: {expected}"


def test_an_empty_list_option_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path / ".flowlint.toml", "[rules.FL001]\ninstallers = []\n")
    assert rule_parameters(load_config_file(path), {"FL001": {"installers": ("pip",)}}) == {
        "FL001": {"installers": ()}}   # frozen, as every config value


def test_rule_parameters_in_pyproject_name_the_table(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", "[tool.flowlint.rules.FL009]\n")
    with pytest.raises(ConfigError, match=r"unknown rule 'tool\.flowlint\.rules\.FL009'"):
        rule_parameters(load_config_file(path), {"FL001": {}})


def test_effective_settings_text_is_toml_with_every_key(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", """
[tool.flowlint]
ignore = ["FL002"]
target-version = "0.18"
[tool.flowlint.per-file-ignores]
"legacy/*.yaml" = ["FL001"]
[tool.flowlint.fix]
strategy = "working-dir-cache"
[tool.flowlint.rules.FL001]
installers = ["pip"]
""")
    text = effective_settings_text(load_config_file(path),
                                   {"FL001": {"installers": ("pip", "uv"), "strict": False},
                                    "FL002": {}})
    assert text.splitlines()[0] == f"# config file: {path}"
    assert f"# globs are relative to: {tmp_path}" in text
    assert "select = []  # the rules enabled by default" in text
    assert f"max-file-size = {DEFAULT_MAX_BYTES}  # the default" in text
    assert "# image is not set" in text
    assert tomllib.loads(text) == {
        "select": [], "extend-select": [], "ignore": ["FL002"], "exclude": [],
        "target-version": "0.18", "max-file-size": DEFAULT_MAX_BYTES,
        "per-file-ignores": {"legacy/*.yaml": ["FL001"]},
        "fix": {"strategy": "working-dir-cache", "cache-layout": "deps", "ttl": "PT24H"},
        "rules": {"FL001": {"installers": ["pip"], "strict": False}, "FL002": {}},
    }


def test_effective_settings_text_for_the_defaults(tmp_path: Path) -> None:
    text = effective_settings_text(Config(path=None, root=tmp_path, max_file_size=10))
    assert text.startswith("# config file: none (defaults)\n")
    data = tomllib.loads(text)
    assert data["max-file-size"] == 10
    assert data["fix"] == {"strategy": "auto", "cache-layout": "deps", "ttl": "PT24H"}
    assert "rules" not in data
