"""The `junit` format: JUnit XML, so CI test dashboards list findings and clean files."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

from flowlint.lint import FileResult
from flowlint.report.rows import Reported
from flowlint.report.text import concise_line

# Characters XML 1.0 cannot hold even as references; ElementTree would write them as they are
# and produce a file no parser reads. A YAML escape ("\e", "\x01") can put them in a message.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def render_junit(rows: list[Reported], results: list[FileResult]) -> str:
    """One failing testcase per finding, one erroring per unreadable file, one passing per clean
    file (so dashboards show what was checked), in the order the files were checked."""
    rows_by_path: dict[str, list[Reported]] = {}
    for row in rows:
        rows_by_path.setdefault(row.path, []).append(row)
    suite = ElementTree.Element("testsuite", name="flowlint")
    for result in results:
        findings = rows_by_path.pop(result.path, [])
        for row in findings:
            finding_case(suite, row)
        if result.error:
            case = testcase(suite, result.path, "flowlint")
            ElementTree.SubElement(case, "error", message=xml_text(result.error), type="error")
        elif not findings:
            testcase(suite, result.path, "flowlint")
    errors = sum(1 for result in results if result.error)
    counts = {"tests": str(len(suite)), "failures": str(len(rows)), "errors": str(errors)}
    suite.attrib.update(counts)
    root = ElementTree.Element("testsuites", name="flowlint", **counts)
    root.append(suite)
    ElementTree.indent(root)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ElementTree.tostring(root, encoding="unicode") + "\n")


def testcase(suite: ElementTree.Element, path: str, name: str) -> ElementTree.Element:
    return ElementTree.SubElement(suite, "testcase", classname=xml_text(path), name=name)


def finding_case(suite: ElementTree.Element, row: Reported) -> None:
    case = testcase(suite, row.path, f"{row.finding.rule} line {row.line}:{row.column}")
    failure = ElementTree.SubElement(case, "failure", message=xml_text(row.finding.message),
                                     type=row.finding.rule)
    help_line = f"help: {row.finding.help}\n" if row.finding.help else ""
    failure.text = xml_text(f"{concise_line(row)}\n{row.source_line}\n{help_line}")
