from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError

from flowlint.catalogue import (
    CatalogueError,
    Rule,
    load_catalogue,
    render_rule_doc,
    render_rule_table,
    rule_by_code_or_name,
    rules_dir,
    update_readme_table,
)

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "rules"
RULE_FILES = sorted(RULES.glob("*.yaml"))

VALID_RULE = """\
code: FL999
name: sample-rule
severity: warning
enabled_by_default: false
fixable: false
summary: a sample rule
doc:
  why: because
  example: |
    id: a
    namespace: company.team
    tasks: []
  use_instead: |
    id: b
    namespace: company.team
    tasks: []
  fix_safety: none
"""


def _pack(tmp_path: Path, files: dict[str, str]) -> Path:
    """A rule folder in tmp_path holding the real schema and the given rule files."""
    shutil.copy(RULES / "schema.json", tmp_path / "schema.json")
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def _load_flow(text: str) -> dict:
    return YAML(typ="safe", pure=False).load(text)


def test_rules_dir_holds_the_repository_catalogue() -> None:
    # rules/ in a checkout, flowlint/_rules in an installed wheel: the same files either way.
    found = {path.name: path.read_bytes() for path in rules_dir().iterdir()}
    assert found == {path.name: path.read_bytes() for path in RULES.iterdir()}


def test_every_rule_file_loads() -> None:
    catalogue = load_catalogue(RULES)
    assert list(catalogue) == sorted(path.stem for path in RULE_FILES)
    assert {"FL000", "FL001", "FL002", "FL004"} <= set(catalogue)
    for code, rule in catalogue.items():
        assert isinstance(rule, Rule) and rule.code == code


def test_names_are_unique() -> None:
    names = [rule.name for rule in load_catalogue(RULES).values()]
    assert len(names) == len(set(names))


def test_default_catalogue_is_cached_and_not_shared_mutably() -> None:
    first = load_catalogue()
    first.pop("FL001")
    assert "FL001" in load_catalogue()
    assert load_catalogue()["FL001"] is load_catalogue()["FL001"]


def test_parameters_are_read_only_defaults() -> None:
    parameters = load_catalogue(RULES)["FL001"].parameters
    assert list(parameters["installers"]) == [
        "pip", "uv", "conda", "mamba", "micromamba", "poetry", "pipenv"
    ]
    with pytest.raises(TypeError):
        parameters["installers"] = ()  # type: ignore[index]


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda path: path.stem)
def test_examples_are_complete_flows(path: Path) -> None:
    rule = load_catalogue(RULES)[path.stem]
    for text in (rule.doc.example, rule.doc.use_instead):
        if rule.code == "FL000" and text is rule.doc.example:
            # FL000's example must be the very problem it reports.
            with pytest.raises(DuplicateKeyError):
                _load_flow(text)
            continue
        flow = _load_flow(text)
        assert {"id", "namespace", "tasks"} <= set(flow)
        assert flow["namespace"] == "company.team"


@pytest.mark.parametrize(
    ("bad_text", "complaint"),
    [
        (VALID_RULE + "autofix: true\n", "autofix"),
        (VALID_RULE.replace("severity: warning", "severity: fatal"), "fatal"),
        (VALID_RULE[: VALID_RULE.index("doc:")], "doc"),
        (VALID_RULE.replace("fixable: false", "fixable: no"), "fixable"),
        (VALID_RULE.replace("  fix_safety: none\n", "  fix_safety: none\n  notes: x\n"), "notes"),
        (VALID_RULE.replace("name: sample-rule", "name: Sample_Rule"), "Sample_Rule"),
        (VALID_RULE + "code: FL998\n", "duplicate key"),
        (VALID_RULE + "parameters: [pip]\n", "parameters"),
        ("- not a mapping\n", "object"),
        ("code: [FL999\n", "invalid YAML"),
        (VALID_RULE + "parameters:\n  tools: [a, b]\nchoices:\n  tools: [a]\n", "choices.tools"),
        (VALID_RULE + "parameters:\n  tools: [a]\nchoices:\n  other: [a]\n", "choices.other"),
        (VALID_RULE + "parameters:\n  tools: [a]\nchoices:\n  tools: []\n", "choices"),
    ],
    ids=[
        "unknown-key",
        "bad-severity",
        "missing-doc",
        "string-boolean",
        "unknown-doc-key",
        "bad-name",
        "duplicate-key",
        "parameters-not-object",
        "not-a-mapping",
        "syntax-error",
        "default-outside-its-choices",
        "choices-of-no-option",
        "empty-choices",
    ],
)
def test_malformed_rule_file_is_reported_with_its_name(
    tmp_path: Path, bad_text: str, complaint: str
) -> None:
    directory = _pack(tmp_path, {"FL999.yaml": bad_text})
    with pytest.raises(CatalogueError) as raised:
        load_catalogue(directory)
    message = str(raised.value)
    assert "FL999.yaml" in message
    assert complaint in message


def test_a_valid_pack_loads(tmp_path: Path) -> None:
    catalogue = load_catalogue(_pack(tmp_path, {"FL999.yaml": VALID_RULE}))
    assert catalogue["FL999"].parameters == {}
    assert catalogue["FL999"].doc.why == "because"


def test_file_name_must_match_code(tmp_path: Path) -> None:
    directory = _pack(tmp_path, {"FL998.yaml": VALID_RULE})
    with pytest.raises(CatalogueError, match=r"FL998\.yaml.*does not match"):
        load_catalogue(directory)


def test_names_must_be_unique_across_files(tmp_path: Path) -> None:
    other = VALID_RULE.replace("code: FL999", "code: FL998")
    directory = _pack(tmp_path, {"FL999.yaml": VALID_RULE, "FL998.yaml": other})
    with pytest.raises(CatalogueError, match=r"FL999\.yaml.*sample-rule.*FL998\.yaml"):
        load_catalogue(directory)


def test_missing_schema_is_reported(tmp_path: Path) -> None:
    (tmp_path / "FL999.yaml").write_text(VALID_RULE, encoding="utf-8")
    with pytest.raises(CatalogueError, match="schema.json"):
        load_catalogue(tmp_path)


def test_empty_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="no rule files"):
        load_catalogue(_pack(tmp_path, {}))


@pytest.mark.parametrize("key", ["FL001", "fl001", " FL001 ", "pip-install-per-execution"])
def test_rule_by_code_or_name(key: str) -> None:
    rule = rule_by_code_or_name(load_catalogue(), key)
    assert rule is not None and rule.code == "FL001"


@pytest.mark.parametrize("key", ["FL999", "pip", ""])
def test_rule_by_code_or_name_unknown(key: str) -> None:
    assert rule_by_code_or_name(load_catalogue(), key) is None


@pytest.mark.parametrize("code", [path.stem for path in RULE_FILES])
def test_render_rule_doc_has_fixed_headings(code: str) -> None:
    rule = load_catalogue()[code]
    text = render_rule_doc(rule)
    assert text.startswith(f"# {code} {rule.name} ({rule.severity})\n")
    headings = ["## Why is this bad?", "## Example", "## Use instead", "## Fix safety"]
    positions = [text.index(f"\n{heading}\n") for heading in headings]
    assert positions == sorted(positions)
    assert "```yaml\n" + rule.doc.example + "\n```" in text


def test_render_rule_doc_lists_options() -> None:
    text = render_rule_doc(load_catalogue()["FL001"])
    assert '- `installers` (default: ["pip", "uv",' in text
    assert '; any of ["pip", "uv", "conda"' in text


def test_every_choice_list_holds_its_default() -> None:
    for rule in load_catalogue().values():
        for name, allowed in rule.choices.items():
            assert set(rule.parameters[name]) <= set(allowed), (rule.code, name)


def test_rule_table_has_one_row_per_rule() -> None:
    catalogue = load_catalogue()
    lines = render_rule_table(catalogue).splitlines()
    assert lines[0] == "| Code | Name | Severity | Fix | Default | Summary |"
    assert len(lines) == 2 + len(catalogue)
    assert lines[2].startswith("| FL000 | `invalid-yaml` | error | no | on |")


def test_update_readme_table_replaces_only_between_markers() -> None:
    readme = "# x\r\n\r\n<!-- rules:start -->\r\nold\r\n<!-- rules:end -->\r\ntail\r\n"
    updated = update_readme_table(readme, "| a |\n| b |\n")
    assert updated == "# x\r\n\r\n<!-- rules:start -->\r\n| a |\r\n| b |\r\n<!-- rules:end -->\r\ntail\r\n"
    assert update_readme_table(updated, "| a |\n| b |\n") == updated


def test_update_readme_table_needs_markers() -> None:
    with pytest.raises(ValueError, match="rules:start"):
        update_readme_table("# no markers\n", "| a |\n")


def test_readme_table_is_current() -> None:
    with (REPO / "README.md").open(encoding="utf-8", newline="") as stream:
        readme = stream.read()
    expected = update_readme_table(readme, render_rule_table(load_catalogue()))
    assert expected == readme, (
        "the README rule table is stale: run `python -m flowlint.catalogue --update-readme`"
    )


def test_the_catalogue_used_at_run_time_is_the_validated_one() -> None:
    # At run time the shipped rules are loaded without jsonschema (start-up cost); this
    # test is where they are validated.
    assert load_catalogue() == load_catalogue(rules_dir())
