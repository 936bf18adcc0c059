"""The note the custom-image fix leaves in a task it points at a new image:

    # flowlint-image: {"image": "...", "namespace": "...", "flow": "...", "task": "...",
    #                  "from": "python:3.11-slim", "pip": ["pandas==2.2.2"], ...}

(on one line). It says which image the task now needs, the image it ran in before (the new
one is built FROM it) and the packages the fix removed from the task. `flowlint image` reads
these notes as well as the installs still in the flows, so it writes the same build contexts
whether it runs before or after the fix; a second fix of the same task (FL009 after FL001)
adds to its note. The note is one YAML comment: Kestra never sees it.
"""

from __future__ import annotations

import json
import re

from flowlint.lang.image_reference import image_reference_problem
from flowlint.records import NamedTuple
from flowlint.remedies.image_packages import (
    SYSTEM_MANAGERS,
    ImagePackages,
    option_line_problem,
    requirement_problem,
    system_package_problem,
)

MARK = "# flowlint-image:"
_LINE = re.compile(r"^[ \t]*# flowlint-image:[ \t]*(?P<body>.*?)[ \t]*\r?$", re.MULTILINE)
_MANAGERS = frozenset(SYSTEM_MANAGERS.values())
_NAME_KEYS = ("image", "namespace", "flow", "task", "from")


class ImageRecord(NamedTuple):
    image: str        # the image the task runs in after the fix
    namespace: str
    flow: str
    task: str
    base: str         # the image it ran in before: the new image is built FROM it
    packages: ImagePackages

    def comment(self) -> str:
        """The note as one comment line (no indentation, no line break). JSON escapes every
        control character, so no value can end the comment early."""
        body: dict[str, object] = {"image": self.image, "namespace": self.namespace,
                                   "flow": self.flow, "task": self.task, "from": self.base}
        if self.packages.requirements:
            body["pip"] = list(self.packages.requirements)
        if self.packages.options:
            body["pip-options"] = list(self.packages.options)
        for manager, packages in self.packages.system:
            body[manager] = list(packages)
        return f"{MARK} {json.dumps(body, ensure_ascii=True)}"

    def is_for(self, namespace: str, flow: str, task: str) -> bool:
        return (self.namespace, self.flow, self.task) == (namespace, flow, task)


class FoundRecord(NamedTuple):
    """A note found in a file: its line (1-based), the text range of the whole line (with
    its line break), and the record, or why it cannot be used."""

    line: int
    start: int
    end: int
    record: ImageRecord | None
    problem: str | None = None


def find_records(text: str) -> list[FoundRecord]:
    if MARK not in text:
        return []
    found = []
    for match in _LINE.finditer(text):
        end = match.end()
        end = end + 1 if text.startswith("\n", end) else end
        line = text.count("\n", 0, match.start()) + 1
        record = parse_record(match.group("body"))
        if isinstance(record, str):
            found.append(FoundRecord(line, match.start(), end, None, record))
        else:
            found.append(FoundRecord(line, match.start(), end, record))
    return found


def parse_record(body: str) -> ImageRecord | str:
    """The record a note's JSON holds, or why it is not one. Notes are read from files anyone
    may have edited: every value is checked as the fix checked it before writing it."""
    try:
        data = json.loads(body)
    except ValueError as error:
        return f"the note is not valid JSON ({error.msg})"
    if not isinstance(data, dict):
        return "the note is not a JSON object"
    for key in _NAME_KEYS:
        if not isinstance(data.get(key), str) or not data[key]:
            return f"the note has no text '{key}'"
    for key in ("image", "from"):
        problem = image_reference_problem(data[key])
        if problem is not None:
            return f"'{key}' in the note is not an image reference: {problem}"
    unknown = sorted(set(data) - {*_NAME_KEYS, "pip", "pip-options", *_MANAGERS})
    if unknown:
        return f"the note has unknown keys: {', '.join(unknown)}"
    lists = {}
    for key in ("pip", "pip-options", *sorted(_MANAGERS & set(data))):
        values = data.get(key, [])
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            return f"'{key}' in the note is not a list of texts"
        check = {"pip": requirement_problem, "pip-options": option_line_problem}.get(
            key, system_package_problem)
        for value in values:
            problem = check(value)
            if problem is not None:
                return f"'{key}' in the note holds '{value}', which {problem}"
        lists[key] = tuple(values)
    system = tuple(sorted((key, values) for key, values in lists.items() if key in _MANAGERS))
    packages = ImagePackages(lists.get("pip", ()), lists.get("pip-options", ()), system)
    return ImageRecord(data["image"], data["namespace"], data["flow"], data["task"],
                       data["from"], packages)
