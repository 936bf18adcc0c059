"""Inline suppressions: finding the comments, applying them, and FL900 with its fix."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from flowlint.findings import Edit, Finding, Span
from flowlint.kestra.flow import build_flow
from flowlint.lint import Settings, check_source
from flowlint.rules import fl900_unused_suppression
from flowlint.source import Source
from flowlint.suppressions import (
    Suppression,
    apply_inline_suppressions,
    apply_suppressions,
    find_suppressions,
    scalar_spans,
    task_region,
)
from flowlint.yamlnodes import compose

FLOW = """\
id: sales
namespace: company.team
tasks:
  - id: transform   # flowlint: ignore[FL001] pinned image is not available yet
    type: io.kestra.plugin.scripts.python.Commands
    beforeCommands:
      - pip install pandas
    commands:
      - python etl.py
  - id: report
    type: io.kestra.plugin.scripts.python.Commands
    beforeCommands:
      - pip install requests
    commands:
      - python report.py
"""


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    for edit in sorted(edits, key=lambda edit: edit.start, reverse=True):
        text = text[:edit.start] + edit.text + text[edit.end:]
    return text


def at(text: str, fragment: str, occurrence: int = 0) -> int:
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(fragment, index + 1)
    return index


def finding(rule: str, start: int, task_id: str | None = None) -> Finding:
    return Finding(rule, Span(start, start + 1), f"{rule} message", task_id=task_id)


def parsed(text: str) -> tuple[Source, list, list[tuple[str, Span]]]:
    source = Source.from_text("flow.yaml", text)
    documents, problem = compose(source)
    assert problem is None
    tasks = [(task.id, task.span) for index, document in enumerate(documents)
             for task in build_flow(source, document, index).tasks]
    return source, documents, tasks


def suppressions_of(text: str) -> list[Suppression]:
    source, documents, _ = parsed(text)
    return find_suppressions(text, scalar_spans(source, documents))


def line_of(text: str):
    source = Source.from_text("flow.yaml", text)
    return lambda offset: source.position(offset)[0]


# Finding the comments


def test_task_line_comment_is_found_with_its_span_and_line() -> None:
    [found] = suppressions_of(FLOW)
    assert found.codes == {"FL001"}
    assert not found.file_level
    assert found.line == 4
    assert found.problem is None
    assert FLOW[found.span.start:found.span.end] == (
        "# flowlint: ignore[FL001] pinned image is not available yet")


def test_file_level_and_multi_code_forms() -> None:
    text = ("# flowlint: ignore-file[FL001,FL004]\n"
            "id: f  #flowlint:ignore[FL002 FL004, fl000]\n"
            "namespace: n\r\n")
    first, second = find_suppressions(text)
    assert first.file_level and first.codes == {"FL001", "FL004"} and first.line == 1
    assert not second.file_level and second.codes == {"FL000", "FL002", "FL004"}
    assert second.line == 2
    assert text[second.span.start:second.span.end] == "#flowlint:ignore[FL002 FL004, fl000]"


@pytest.mark.parametrize("comment, problem", [
    ("# flowlint: ignore", "'flowlint: ignore' names no codes"),
    ("# flowlint: ignore because it is fine", "'flowlint: ignore' names no codes"),
    ("# flowlint: ignore[]", "'flowlint: ignore' names no codes"),
    ("# flowlint: ignore[ , ]", "'flowlint: ignore' names no codes"),
    ("# flowlint: ignore-file", "'flowlint: ignore-file' names no codes"),
    ("# flowlint: ignore[FL001", "'flowlint: ignore' names no codes"),
    ("# flowlint: ignore[FL0]", "'FL0' is not a rule code like FL001"),
    ("# flowlint: ignore[FL001, E501]", "'E501' is not a rule code like FL001"),
    ("# flowlint: ignroe[FL001]", "unknown directive 'flowlint: ignroe'"),
    ("# flowlint: noqa", "unknown directive 'flowlint: noqa'"),
])
def test_malformed_comments_suppress_nothing(comment: str, problem: str) -> None:
    [found] = find_suppressions(f"id: f {comment}\n")
    assert found.codes == frozenset()
    assert found.problem is not None and found.problem.startswith(problem)


@pytest.mark.parametrize("text", [
    "id: f#flowlint: ignore[FL001]\n",                    # no blank before '#': not a comment
    "id: 'a # flowlint: ignore[FL001]'\n",                # inside a single-quoted scalar
    'id: "a # flowlint: ignore[FL001] \\" x"\n',          # inside a double-quoted scalar
    "id: 'it''s # flowlint: ignore[FL001]'\n",            # '' escape inside single quotes
    "id: f  # TODO flowlint: ignore[FL001]\n",            # does not start the comment
    "id: f  # Flowlint: ignore[FL001]\n",                 # only the lowercase form
])
def test_text_that_is_not_a_suppression_comment(text: str) -> None:
    assert find_suppressions(text) == []


def test_comment_after_quoted_scalars_and_after_another_comment() -> None:
    texts = [
        "id: \"a # b\"  # flowlint: ignore[FL001]\n",
        "id: it's  # flowlint: ignore[FL001]\n",
        "id: f  # pinned upstream  # flowlint: ignore[FL001]\n",
        "list: ['a', \"b\"] # flowlint: ignore[FL001]\n",
    ]
    for text in texts:
        [found] = find_suppressions(text)
        assert found.codes == {"FL001"}, text
        assert text[found.span.start:].startswith("# flowlint: ignore[FL001]")


def test_comments_inside_scalars_are_data_not_suppressions() -> None:
    text = """\
id: f
namespace: n
tasks:
  - id: t
    type: io.kestra.plugin.scripts.shell.Commands
    script: | # flowlint: ignore[FL002]
      pip install x # flowlint: ignore[FL001]
      # flowlint: ignore-file[FL001]
    folded: >
      text
        # flowlint: ignore[FL004]
    quoted: "first line
      # flowlint: ignore[FL004]
      last"  # flowlint: ignore[FL000]
    # flowlint: ignore[FL002, FL004]
"""
    found = suppressions_of(text)
    assert [(item.line, sorted(item.codes)) for item in found] == [
        (6, ["FL002"]), (14, ["FL000"]), (15, ["FL002", "FL004"])]


def test_comment_less_indented_than_a_block_scalar_ends_it() -> None:
    text = """\
id: f
namespace: n
tasks:
  - id: t
    type: io.kestra.plugin.scripts.shell.Commands
    script: |
        pip install x

      # flowlint: ignore[FL001]
"""
    [found] = suppressions_of(text)
    assert found.line == 9


def test_scalar_spans_start_after_the_block_header() -> None:
    text = "a: | # header\n  body # x\nb: 'one\n  two'\nc: 'single'\n"
    source, documents, _ = parsed(text)
    assert scalar_spans(source, documents) == [
        (text.index("  body"), text.index("b:")), (text.index("'one"), text.index("\nc:"))]


# Applying them


def test_task_level_suppression_covers_the_whole_task_only() -> None:
    source, _, tasks = parsed(FLOW)
    suppressions = find_suppressions(FLOW)
    in_transform = finding("FL001", at(FLOW, "pip install pandas"), "transform")
    other_code = finding("FL004", at(FLOW, "pip install pandas"), "transform")
    in_report = finding("FL001", at(FLOW, "pip install requests"), "report")
    result = apply_suppressions([in_transform, other_code, in_report], suppressions, tasks,
                                line_of(FLOW))
    assert result.suppressed == [in_transform]
    assert result.kept == [other_code, in_report]
    assert result.unused == []


def test_comment_on_a_property_line_covers_the_task() -> None:
    text = FLOW.replace("# flowlint: ignore[FL001] pinned image is not available yet", "")
    text = text.replace("    commands:\n      - python report.py",
                        "    commands:  # flowlint: ignore[FL001]\n      - python report.py")
    _, _, tasks = parsed(text)
    in_report = finding("FL001", at(text, "pip install requests"), "report")
    in_transform = finding("FL001", at(text, "pip install pandas"), "transform")
    result = apply_suppressions([in_transform, in_report], find_suppressions(text), tasks,
                                line_of(text))
    assert result.suppressed == [in_report]
    assert result.kept == [in_transform]


def test_comment_outside_tasks_covers_its_own_line_only() -> None:
    text = "id: f  # flowlint: ignore[FL000]\nnamespace: n\nid: g\ntasks: []\n"
    same_line = finding("FL000", at(text, "id: f"))
    other_line = finding("FL000", at(text, "id: g"))
    result = apply_suppressions([same_line, other_line], find_suppressions(text), [],
                                line_of(text))
    assert result.suppressed == [same_line]
    assert result.kept == [other_line]


def test_line_level_comment_inside_a_task_also_covers_its_line() -> None:
    text = FLOW.replace("# flowlint: ignore[FL001] pinned image is not available yet", "")
    text = text.replace("- pip install pandas", "- pip install pandas  # flowlint: ignore[FL000]")
    _, _, tasks = parsed(text)
    untagged = finding("FL000", at(text, "pip install pandas"))
    result = apply_suppressions([untagged], find_suppressions(text), tasks, line_of(text))
    assert result.suppressed == [untagged]


def test_file_level_suppression_covers_every_finding_of_its_codes() -> None:
    text = FLOW + "# flowlint: ignore-file[FL004, FL002]\n"
    findings = [finding("FL004", at(text, "pip install pandas"), "transform"),
                finding("FL002", at(text, "pip install requests"), "report"),
                finding("FL000", 0)]
    result = apply_suppressions(findings, find_suppressions(text), parsed(text)[2],
                                line_of(text))
    assert [item.rule for item in result.suppressed] == ["FL004", "FL002"]
    assert [item.rule for item in result.kept] == ["FL000"]


def test_comment_above_the_next_task_does_not_cover_the_previous_one() -> None:
    text = FLOW.replace("# flowlint: ignore[FL001] pinned image is not available yet", "")
    text = text.replace("  - id: report", "  # flowlint: ignore[FL001]\n  - id: report")
    _, _, tasks = parsed(text)
    regions = [(task_id, task_region(text, span)) for task_id, span in tasks]
    in_transform = finding("FL001", at(text, "pip install pandas"), "transform")
    result = apply_suppressions([in_transform], find_suppressions(text), regions, line_of(text))
    assert result.kept == [in_transform]
    assert [item.line for item in result.unused] == [10]


def test_task_region_keeps_comments_indented_like_the_task() -> None:
    text = ("tasks:\n  - id: a\n    type: x.Y\n    # flowlint: ignore[FL001]\n\n"
            "  # about b\n  - id: b\n    type: x.Y\n")
    _, _, tasks = parsed("id: f\nnamespace: n\n" + text)
    offset = len("id: f\nnamespace: n\n")
    span = dict(tasks)["a"]
    region = task_region("id: f\nnamespace: n\n" + text, span)
    assert ("id: f\nnamespace: n\n" + text)[region.start:region.end] == (
        "id: a\n    type: x.Y\n    # flowlint: ignore[FL001]\n")
    assert region.start == offset + text.index("id: a")


def test_comment_in_a_nested_task_covers_that_task_not_its_parent() -> None:
    text = """\
id: f
namespace: n
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: inner  # flowlint: ignore[FL001]
        type: io.kestra.plugin.scripts.python.Commands
        beforeCommands:
          - pip install x
    outputFiles:
      - out.txt
"""
    _, _, tasks = parsed(text)
    inner = finding("FL001", at(text, "pip install x"), "inner")
    parent = finding("FL001", at(text, "outputFiles"), "wd")
    result = apply_suppressions([inner, parent], find_suppressions(text), tasks, line_of(text))
    assert result.suppressed == [inner]
    assert result.kept == [parent]


def test_same_task_id_in_another_document_is_not_covered() -> None:
    document = FLOW.replace("# flowlint: ignore[FL001] pinned image is not available yet", "")
    text = FLOW + "---\n" + document
    _, _, tasks = parsed(text)
    first = finding("FL001", at(text, "pip install pandas"), "transform")
    second = finding("FL001", at(text, "pip install pandas", 1), "transform")
    result = apply_suppressions([first, second], find_suppressions(text), tasks, line_of(text))
    assert result.suppressed == [first]
    assert result.kept == [second]


def test_unused_codes_are_listed_per_comment() -> None:
    text = FLOW.replace("ignore[FL001]", "ignore[FL001, FL004]")
    _, _, tasks = parsed(text)
    used = finding("FL001", at(text, "pip install pandas"), "transform")
    result = apply_suppressions([used], find_suppressions(text), tasks, line_of(text))
    [unused] = result.unused
    assert unused.codes == {"FL001", "FL004"}
    assert unused.unused_codes == {"FL004"}


def test_codes_of_rules_not_run_are_never_unused() -> None:
    text = FLOW.replace("ignore[FL001]", "ignore[FL001, FL004]")
    _, _, tasks = parsed(text)
    result = apply_suppressions([], find_suppressions(text), tasks, line_of(text),
                                enabled={"FL001", "FL002"})
    assert [sorted(item.unused_codes) for item in result.unused] == [["FL001"]]
    result = apply_suppressions([], find_suppressions(text), tasks, line_of(text),
                                enabled={"FL002"})
    assert result.unused == []


def test_malformed_comment_is_unused() -> None:
    text = "id: f  # flowlint: ignore\n"
    result = apply_suppressions([finding("FL000", 0)], find_suppressions(text), [],
                                line_of(text))
    assert [item.rule for item in result.kept] == ["FL000"]
    [unused] = result.unused
    assert unused.problem is not None and unused.unused_codes == frozenset()


# FL900


def fl900(text: str) -> list[Finding]:
    result = apply_suppressions([], find_suppressions(text), [], line_of(text))
    return fl900_unused_suppression.findings(result.unused, text)


@pytest.mark.parametrize("before, after", [
    # Alone on its line: the whole line goes, newline included.
    ("a: 1\n  # flowlint: ignore[FL001] reason\nb: 2\n", "a: 1\nb: 2\n"),
    ("a: 1\r\n  # flowlint: ignore[FL001]  \r\nb: 2\r\n", "a: 1\r\nb: 2\r\n"),
    ("# flowlint: ignore-file[FL001]\na: 1\n", "a: 1\n"),
    # The last line without a newline: the file still ends without one.
    ("a: 1\n# flowlint: ignore[FL001]", "a: 1"),
    ("a: 1\r\n# flowlint: ignore[FL001]", "a: 1"),
    ("# flowlint: ignore[FL001]", ""),
    # After other content: the comment and the blanks before it go.
    ("a: 1   # flowlint: ignore[FL001] reason  \nb: 2\n", "a: 1\nb: 2\n"),
    ("a: 1\t# flowlint: ignore[FL001]\r\nb: 2\r\n", "a: 1\r\nb: 2\r\n"),
    ("a: 1 # flowlint: ignore[FL001]", "a: 1"),
    ("a: 1  # keep me  # flowlint: ignore[FL001]\n", "a: 1  # keep me\n"),
])
def test_fix_deletes_exactly_the_comment(before: str, after: str) -> None:
    [item] = fl900(before)
    assert item.rule == "FL900"
    assert item.fix is not None and item.fix.safe
    assert item.fix.title == "remove unused suppression"
    assert apply_edits(before, item.fix.edits) == after


def test_message_quotes_the_comment() -> None:
    text = "a: 1  # flowlint: ignore[FL001] the reason\n"
    [item] = fl900(text)
    assert item.message == "unused suppression: 'flowlint: ignore[FL001]' suppresses nothing"
    assert text[item.span.start:item.span.end] == "# flowlint: ignore[FL001] the reason"
    assert item.task_id is None


@pytest.mark.parametrize("before, after, message", [
    ("  - id: t  # flowlint: ignore[FL001, FL004] why\n",
     "  - id: t  # flowlint: ignore[FL001] why\n",
     "unused suppression: 'flowlint: ignore[FL001, FL004]' suppresses nothing for FL004"),
    ("  - id: t  # flowlint: ignore[FL004,FL001,FL002]\r\n",
     "  - id: t  # flowlint: ignore[FL001]\r\n",
     "unused suppression: 'flowlint: ignore[FL004,FL001,FL002]' suppresses nothing for "
     "FL002, FL004"),
    ("  - id: t  # flowlint: ignore[FL004 FL001]\n", "  - id: t  # flowlint: ignore[FL001]\n",
     "unused suppression: 'flowlint: ignore[FL004 FL001]' suppresses nothing for FL004"),
])
def test_partly_unused_comment_keeps_the_used_codes(before: str, after: str,
                                                    message: str) -> None:
    used = finding("FL001", before.index("id"))
    result = apply_suppressions([used], find_suppressions(before), [], line_of(before))
    [item] = fl900_unused_suppression.findings(result.unused, before)
    assert item.message == message
    assert item.fix is not None and item.fix.safe
    assert apply_edits(before, item.fix.edits) == after


def test_malformed_comment_is_reported_without_a_fix() -> None:
    [item] = fl900("a: 1  # flowlint: ignore\n")
    assert item.message == ("malformed suppression: 'flowlint: ignore' names no codes; write "
                            "'flowlint: ignore[FL001]' with the codes to suppress")
    assert item.fix is None


# End to end, with the engine's findings


def check(text: str, rules=("FL000", "FL001", "FL002", "FL004", "FL900")):
    source, documents, tasks = parsed(text)
    enabled = frozenset(rules)
    # The engine applies suppressions itself; here they are applied by hand, once.
    findings = check_source(source, Settings(enabled, use_suppressions=False)).findings
    report_unused = fl900_unused_suppression.findings \
        if enabled is None or "FL900" in enabled else None
    return apply_inline_suppressions(source, documents, tasks, findings, enabled, report_unused)


def test_end_to_end_task_suppression() -> None:
    result = check(FLOW)
    assert [(item.rule, item.task_id) for item in result.kept] == [("FL001", "report")]
    assert [(item.rule, item.task_id) for item in result.suppressed] == [("FL001", "transform")]
    assert result.unused == []


def test_end_to_end_unused_suppression_becomes_fl900_with_a_working_fix() -> None:
    text = FLOW.replace("\r\n", "\n").replace("\n", "\r\n").replace(
        "python report.py", "python report.py  # flowlint: ignore[FL002]")
    result = check(text)
    fl900_findings = [item for item in result.kept if item.rule == "FL900"]
    [item] = fl900_findings
    assert item.fix is not None
    fixed = apply_edits(text, item.fix.edits)
    assert fixed == text.replace("  # flowlint: ignore[FL002]", "")
    assert check(fixed).unused == []


def test_end_to_end_without_fl900_enabled() -> None:
    text = FLOW.replace("python report.py", "python report.py  # flowlint: ignore[FL002]")
    result = check(text, rules=("FL001", "FL002"))
    assert [item.rule for item in result.kept] == ["FL001"]
    assert len(result.unused) == 1


def test_fl900_can_be_suppressed_for_the_file() -> None:
    text = FLOW.replace("python report.py", "python report.py  # flowlint: ignore[FL002]")
    text += "# flowlint: ignore-file[FL900]\n"
    result = check(text)
    assert [item.rule for item in result.kept] == ["FL001"]
    assert [item.rule for item in result.suppressed] == ["FL001", "FL900"]


def test_file_without_comments_is_passed_through() -> None:
    text = FLOW.replace("# flowlint: ignore[FL001] pinned image is not available yet", "")
    result = check(text)
    assert [(item.rule, item.task_id) for item in result.kept] == [
        ("FL001", "transform"), ("FL001", "report")]
    assert result.suppressed == [] and result.unused == []
