"""Every scalar flowlint writes into a flow reads back as the same string in every parser.

Kestra reads flows with Jackson over SnakeYAML, a YAML 1.1 parser; PyYAML (pure and libyaml)
implements the same YAML 1.1 resolvers and stands in for it here. ruamel.yaml (pure and C)
reads YAML 1.2, as flowlint itself does. A writer either gives text that all of them read back
as the original value, or refuses with FixRefused. (The tricky outputs were also checked once by
hand with Jackson 2.8 over SnakeYAML 1.33; the suite does not need Java.)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from flowlint.cli import main
from flowlint.findings import FixRefused
from flowlint.remedies.yaml_text import (
    Style,
    emit_property,
    indent_text,
    literal_block_text,
    quote_scalar,
)

EXAMPLES = int(os.environ.get("FLOWLINT_EXAMPLES", "300"))
MANY = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

_RUAMEL_PURE = YAML(typ="safe", pure=True)
_RUAMEL_C = YAML(typ="safe", pure=False)
PARSERS = {
    "ruamel-pure": _RUAMEL_PURE.load,
    "ruamel-c": _RUAMEL_C.load,
    "pyyaml": yaml.safe_load,
}
if getattr(yaml, "CSafeLoader", None) is not None:
    PARSERS["pyyaml-libyaml"] = lambda text: yaml.load(text, Loader=yaml.CSafeLoader)

# Values some parser reads as something else, or that end or break a scalar.
TRICKY = [
    "yes", "No", "ON", "off", "y", "N", "true", "False", "null", "NULL", "~", "", "=", "<<",
    "1:20", "-1:20", "190:20:30", "2024-01-01", "2001-12-14t21:59:43.10-05:00", "0b1", "0x1F",
    "0o17", "017", ".5", "5.", "1_000", "1e3", "+1", "-1", "._", ".inf", "-.inf", ".NaN",
    "-", "--", "---", "...", "- a", "? a", ": a", "?", ":", "a: b", "a:", "a #b", "#a", "a#b",
    "&a", "*a", "!a", "!!str a", "|", ">", "%a", "@a", "`a", "'a'", '"a"', "{{ a }}", "{a: b}",
    "[a]", "a,b", "a]", "a}", "a?b", "a:b", "a::b", "a: ", " a", "a ", "a  b", "\t", "a\tb",
    "a\t#b", "a\nb", "a\n", "\n", "a\rb", "a\r\nb", "\x00", "\x07", "\x1b", "\x7f", "\x85",
    "\xa0", "\u2028", "\u2029", "\ufeff", "\ufffe", "\uffff", "\u200b", "é", "日本", "😀",
    "a😀b", "\U0010FFFF", "\ud800", "a\udfffb", "\\", "\\n", "a\\", "a\"b", "a'b", "''",
    "deps/**", "**/x", "./venv/bin/python", ". venv/bin/activate", "python:3.11-slim",
    "requests==2.32.3", "pkg[extra]>=1; python_version >= \"3.8\"", "test -d deps || pip x",
    "PT24H", "io.kestra.plugin.core.runner.Process", "r/tab\there/f:1", "1task", "-a", "-.a",
]
_YAML_ALPHABET = list(" -?:,[]{}#&*!|>'\"%@`~=<.+_/$()\\\t\n\r0123456789aeEyYnNoOx") \
    + ["\x00", "\x85", "\u2028", "\ufeff", "\xa0", "😀", "\ud800"]
texts = st.one_of(
    st.sampled_from(TRICKY),
    st.text(),
    st.text(alphabet=st.sampled_from(_YAML_ALPHABET), max_size=12),
    st.text(alphabet=st.characters(exclude_categories=()), max_size=8),
    st.lists(st.sampled_from(TRICKY), min_size=2, max_size=3).map("".join),
)
styles = st.builds(Style, st.sampled_from(["\n", "\r\n"]), st.sampled_from([2, 4]),
                   st.sampled_from([0, 2]), st.sampled_from(["'", '"']))
values = st.recursive(
    texts,
    lambda inner: st.one_of(
        st.lists(st.one_of(texts, st.dictionaries(texts, inner, max_size=3)), max_size=3),
        st.dictionaries(texts, inner, max_size=3)),
    max_leaves=8)


def read_back(document: str) -> dict[str, object]:
    """What each parser reads from the document (or the error it raises)."""
    results: dict[str, object] = {}
    for name, load in PARSERS.items():
        try:
            results[name] = load(document)
        except Exception as error:   # noqa: BLE001 - a parse error is a finding here
            results[name] = f"{type(error).__name__}: {error}"
    return results


def assert_reads_back(document: str, expected: object) -> None:
    for name, result in read_back(document).items():
        assert result == expected, f"{name} read {result!r} from {document!r}"


# ----------------------------------------------------------------------------- quote_scalar

@MANY
@given(texts, styles, st.sampled_from([None, "'", '"']))
@example("yes", Style("\n", 2, 2, "'"), None)
@example("1:20", Style("\n", 2, 2, "'"), None)
@example("r/tab\there/f:1", Style("\n", 2, 2, "'"), None)
def test_quote_scalar_reads_back_in_block_context(value, style, prefer) -> None:
    try:
        text = quote_scalar(value, style, prefer)
    except FixRefused:
        assert any("\ud800" <= char <= "\udfff" for char in value)
        return
    assert "\n" not in text and "\r" not in text
    assert_reads_back(f"k: {text}\nafter: 1\n", {"k": value, "after": 1})
    assert_reads_back(f"k:\n  - {text}\n  - z\n", {"k": [value, "z"]})
    assert_reads_back(f"- {text}\n", [value])


@MANY
@given(texts, styles, st.sampled_from([None, "'", '"']))
@example("a:b", Style("\n", 2, 2, "'"), None)
@example("a?b", Style("\n", 2, 2, "'"), None)
def test_quote_scalar_in_flow_reads_back_in_flow_context(value, style, prefer) -> None:
    try:
        text = quote_scalar(value, style, prefer, in_flow=True)
    except FixRefused:
        assert any("\ud800" <= char <= "\udfff" for char in value)
        return
    assert_reads_back(f"k: [{text}]\n", {"k": [value]})
    assert_reads_back(f"k: [a, {text}, b]\n", {"k": ["a", value, "b"]})
    assert_reads_back(f"k: {{x: {text}, y: b}}\n", {"k": {"x": value, "y": "b"}})
    assert_reads_back(f"k: {text}\n", {"k": value})


def test_safe_values_stay_plain() -> None:
    """What the goldens write plain stays plain: fixes change no more than they must."""
    style = Style("\n", 2, 2, "'")
    for value in ["pandas", "requests==2.32.3", "python:3.11-slim", "PT24H", "deps/**",
                  "io.kestra.plugin.core.runner.Process", "./venv/bin/python -m pip install x",
                  ". venv/bin/activate", "test -d deps || pip install --target=deps 'a<2'",
                  "registry.example.com/company.team/etl:1.0", "IF_NOT_PRESENT", "-r x.txt"]:
        assert quote_scalar(value, style) == value


def test_yaml_special_values_are_quoted() -> None:
    style = Style("\n", 2, 2, "'")
    assert quote_scalar("1:20", style) == "'1:20'"
    assert quote_scalar("yes", style) == "'yes'"
    assert quote_scalar("=", style) == "'='"
    assert quote_scalar("**/x", style) == "'**/x'"
    assert quote_scalar("r/tab\there/f:1", style) == '"r/tab\\there/f:1"'
    assert quote_scalar("a\x85b\u2028😀", style) == '"a\\x85b\\u2028\\U0001F600"'
    assert quote_scalar("python:3.11", style, in_flow=True) == "'python:3.11'"
    with pytest.raises(FixRefused, match="surrogate"):
        quote_scalar("a\ud800", style)


# ----------------------------------------------------------------------------- emit_property

@MANY
@given(texts, values, styles, st.sampled_from([2, 4]))
@example("k", {"yes": ["1:20", {"on": "-"}], "x": {}}, Style("\n", 2, 0, "'"), 2)
@example("k", ["a", {}, []], Style("\r\n", 4, 2, '"'), 4)
def test_emit_property_reads_back(key, value, style, indent) -> None:
    try:
        text = emit_property(key, value, indent, style)
    except FixRefused as refusal:
        assert "surrogate" in str(refusal) or "too long" in str(refusal)
        return
    assert text.endswith(style.newline)
    assert_reads_back("root:\n" + text + "after: 1\n", {"root": {key: value}, "after": 1})


# ----------------------------------------------------------------------------- block scalars

_CHOMPING = {
    "|": lambda value: value.rstrip("\n") + "\n" if value.rstrip("\n") else "",
    "|-": lambda value: value.rstrip("\n"),
    "|+": lambda value: value if value.endswith("\n") else value + "\n",
}


@MANY
@given(texts, st.sampled_from(sorted(_CHOMPING)), st.sampled_from([2, 4, 6]),
       st.sampled_from(["\n", "\r\n"]))
@example("import os\n  ---\n...\n\tx\n# c\n", "|", 2, "\n")
@example("first\n   \n\tx", "|+", 4, "\n")
def test_literal_block_reads_back_under_its_chomping(value, header, indent, newline) -> None:
    try:
        text = literal_block_text(value, indent, newline)
    except FixRefused:
        return
    document = f"k: {header}{newline}{text}after: 1{newline}"
    assert_reads_back(document, {"k": _CHOMPING[header](value), "after": 1})


def test_literal_block_refuses_what_would_move_or_end_it() -> None:
    text = "import os\n  ---\n...\n\tx\n# c\n"
    assert literal_block_text(text, 2, "\n") == "  import os\n    ---\n  ...\n  \tx\n  # c\n"
    with pytest.raises(FixRefused, match="first line"):
        literal_block_text("  indented\nnot\n", 4, "\n")
    with pytest.raises(FixRefused, match="first line"):
        literal_block_text("\n   \nx\n", 4, "\n")
    with pytest.raises(FixRefused, match="first line"):
        literal_block_text("\tx\n", 4, "\n")
    for char in ["\r", "\x85", "\u2028", "\u2029", "\ufeff", "\x00", "\x7f"]:
        with pytest.raises(FixRefused, match="would hold"):
            literal_block_text(f"a{char}b\n", 4, "\n")


@MANY
@given(st.lists(st.text(alphabet=st.sampled_from(list(" \tab#-:|")), max_size=6),
                min_size=1, max_size=5),
       st.sampled_from([1, 2, 4]))
def test_indent_text_keeps_block_scalar_values(lines, extra) -> None:
    """Wrapping a task shifts its text; a `|` block inside keeps its value, lines of spaces
    beyond its indentation included."""
    if not lines[0].strip(" ") or lines[0].startswith((" ", "\t")):
        lines[0] = "x" + lines[0]
    body = "".join(("    " + line if line else "") + "\n" for line in lines)
    document = "k:\n  v: |+\n" + body + "  after: 1\n"
    before, after = read_back(document), read_back(indent_text(document, extra))
    for name, value in before.items():
        # A document a parser rejects stays rejected (its error names other columns).
        assert after[name] == value or isinstance(value, str) and isinstance(after[name], str)


def test_indent_text_shifts_at_line_feeds_only() -> None:
    """\u2028 inside a quoted scalar is part of the value: no padding goes after it."""
    document = 'k:\n  v: "a\u2028b"\n'
    assert indent_text(document, 2) == '  k:\n    v: "a\u2028b"\n'
    assert_reads_back(indent_text(document, 2), {"k": {"v": "a\u2028b"}})


# ----------------------------------------------------------------------------- through the CLI

FLOW = """\
id: etl
namespace: company.team

tasks:
  - id: transform
    type: io.kestra.plugin.scripts.python.{kind}
{body}"""


def _fix(path: Path, *args: str) -> int:
    return main(["--fix", *args, str(path)])


def test_custom_image_writes_a_yaml_special_image_quoted(tmp_path, capsys) -> None:
    """`1:20` is a valid image reference and a YAML 1.1 sexagesimal integer (80)."""
    path = tmp_path / "etl.yaml"
    path.write_text(FLOW.format(kind="Commands", body="    beforeCommands:\n"
                                "      - pip install pandas\n"
                                "    commands:\n      - python main.py\n"))
    _fix(path, "--unsafe-fixes", "--strategy", "custom-image", "--image", "1:20")
    text = path.read_text()
    assert "containerImage: '1:20'" in text
    for name, data in read_back(text).items():
        assert data["tasks"][0]["containerImage"] == "1:20", name


@pytest.mark.parametrize(("written", "requirement"), [
    ("    dependencies: [requests]\n", "pkg[a,b]>=1,<2"),
    ("", 'pkg[extra]>=1; python_version >= "3.8"'),
])
def test_dependencies_write_requirements_every_parser_reads(tmp_path, capsys, written,
                                                            requirement) -> None:
    path = tmp_path / "etl.yaml"
    path.write_text(FLOW.format(kind="Script", body=written + "    beforeCommands:\n"
                                f"      - pip install '{requirement}'\n"
                                "    script: |\n      import requests\n      import pkg\n"))
    _fix(path, "--strategy", "dependencies")
    text = path.read_text()
    assert "beforeCommands" not in text
    for name, data in read_back(text).items():
        assert requirement in data["tasks"][0]["dependencies"], name


@pytest.mark.parametrize("header", ["|", "|2"])
def test_block_command_that_cannot_be_rewritten_is_refused(tmp_path, capsys, header) -> None:
    """Cutting the install would leave an indented first line (YAML would detect another
    indentation and drop its spaces), or the block has an indentation indicator."""
    path = tmp_path / "etl.yaml"
    original = FLOW.format(kind="Commands", body=f"    beforeCommands:\n      - {header}\n"
                           "        pip install pandas\n          echo indented\n"
                           "    commands:\n      - python main.py\n")
    path.write_text(original)
    _fix(path, "--unsafe-fixes", "--strategy", "process-runner")
    assert path.read_text() == original
    assert "no fix (process-runner)" in capsys.readouterr().out
