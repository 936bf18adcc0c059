"""Hypothesis strategies that generate Kestra flows as YAML text, written by hand.

A flow is drawn as a spec (dicts, lists, strings, `Block` scripts and `Comment` lines), then
rendered by `render` in a `Layout`: 2 or 4 spaces, indented or indentless sequences, plain,
single or double quotes, LF or CRLF, comments or none. The same spec rendered in two layouts
holds the same data, which the property tests rely on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace

from hypothesis import strategies as st

PYTHON_SCRIPT = "io.kestra.plugin.scripts.python.Script"
PYTHON_COMMANDS = "io.kestra.plugin.scripts.python.Commands"
SHELL_COMMANDS = "io.kestra.plugin.scripts.shell.Commands"
SHELL_SCRIPT = "io.kestra.plugin.scripts.shell.Script"
LOG = "io.kestra.plugin.core.log.Log"
DOCKER = "io.kestra.plugin.scripts.runner.docker.Docker"
PROCESS = "io.kestra.plugin.core.runner.Process"
FLOWABLE = "io.kestra.plugin.core.flow."

PACKAGES = ("pandas", "requests", "numpy==1.26.4", "polars>=0.20", "rich[jupyter]",
            "python-dateutil", "kestra", "PyYAML", "boto3~=1.34")
IMAGES = ("python:3.12-slim", "python:3.11", "ghcr.io/acme/py:3.10-bookworm",
          "python:3.12-alpine", "ubuntu:22.04")
OTHER_COMMANDS = ("python -V", "echo hello", "ls -la", "python main.py",
                  "echo 'done: {{ execution.id }}'", "cd /tmp && ls")
SCRIPTS = (
    ("import pandas as pd", "print(pd.__version__)"),
    ("import json", "", "data = {'a': 1}", "if data:", "    print(json.dumps(data))"),
    ("print('hello from {{ flow.id }}')",),
    ("import requests", "# a comment in the script", "print(requests.get)"),
)
SHELL_SCRIPTS = (("echo start", "ls -la"), ("set -e", "echo '{{ inputs.name }}'"))


@dataclass(frozen=True)
class Block:
    """A literal block scalar (`|`): its lines, the first one not indented."""

    lines: tuple[str, ...]
    header: str = "|"   # |, |- or |+ (with trailing empty lines kept)


@dataclass(frozen=True)
class Raw:
    """A scalar written as is in every layout (`true`)."""

    text: str


@dataclass(frozen=True)
class Comment:
    """A comment line in a sequence (between tasks) or a mapping."""

    text: str


@dataclass(frozen=True)
class Layout:
    indent: int = 2                 # spaces per mapping level
    indent_sequences: bool = True   # `key:\n  - a` (True) or `key:\n- a`
    quote: str = "plain"            # plain, single or double, for every string that allows it
    newline: str = "\n"
    comments: bool = True           # end-of-line comments and comment lines
    flow_lists: bool = False        # short lists of strings as `[a, b]`
    blank_lines: bool = False       # an empty line after each task
    quote_keys: bool = False        # keys quoted like values
    final_newline: bool = True


# --- rendering -----------------------------------------------------------------------------

_PLAIN = re.compile(r"^[A-Za-z0-9_./$(~=][^\n]*$")
_RESERVED = re.compile(r"^(?:~|null|true|false|yes|no|on|off|y|n|[-+.0-9][-+.0-9_eE]*)$",
                       re.IGNORECASE)


def plain_allowed(value: str, in_flow: bool = False) -> bool:
    if not _PLAIN.match(value) or _RESERVED.match(value):
        return False
    if ": " in value or " #" in value or value.endswith((":", " ")) or "\t" in value:
        return False
    return not (in_flow and any(char in value for char in ",[]{}"))


def scalar(value: str, quote: str, in_flow: bool = False) -> str:
    if quote == "plain" and plain_allowed(value, in_flow):
        return value
    if quote == "double":
        return json.dumps(value, ensure_ascii=False)
    return "'" + value.replace("'", "''") + "'"


def render(spec: dict, layout: Layout) -> str:
    lines = _mapping(spec, 0, layout)
    text = "".join(line + layout.newline for line in lines)
    return text if layout.final_newline else text[: -len(layout.newline)]


def _comment(layout: Layout, text: str) -> str:
    return f"  # {text}" if layout.comments else ""


def _mapping(mapping: dict, column: int, layout: Layout) -> list[str]:
    pad = " " * column
    lines: list[str] = []
    for key, value in mapping.items():
        if isinstance(value, Comment):
            if layout.comments:
                lines.append(f"{pad}# {value.text}")
            continue
        head = f"{pad}{scalar(key, layout.quote if layout.quote_keys else 'plain')}:"
        if isinstance(value, str):
            lines.append(f"{head} {scalar(value, layout.quote)}")
        elif isinstance(value, Raw):
            lines.append(f"{head} {value.text}")
        elif isinstance(value, Block):
            lines.append(f"{head} {value.header}{_comment(layout, 'a script')}")
            body = " " * (column + layout.indent)
            lines.extend(body + line if line else "" for line in value.lines)
        elif isinstance(value, dict):
            lines.append(head)
            lines.extend(_mapping(value, column + layout.indent, layout))
        elif isinstance(value, list):
            items = [item for item in value if not isinstance(item, Comment)]
            if not items or (layout.flow_lists and len(value) <= 3
                             and all(isinstance(item, str) for item in value)):
                joined = ", ".join(scalar(item, layout.quote, in_flow=True) for item in items)
                lines.append(f"{head} [{joined}]")
            else:
                lines.append(head)
                step = layout.indent if layout.indent_sequences else 0
                lines.extend(_sequence(value, column + step, layout))
        else:
            raise TypeError(value)
    return lines


def _sequence(items: list, column: int, layout: Layout) -> list[str]:
    pad = " " * column
    lines: list[str] = []
    for index, item in enumerate(items):
        if isinstance(item, Comment):
            if layout.comments:
                lines.append(f"{pad}# {item.text}")
        elif isinstance(item, str):
            note = _comment(layout, f"item {index}") if index % 2 else ""
            lines.append(f"{pad}- {scalar(item, layout.quote)}{note}")
        elif isinstance(item, Block):
            lines.append(f"{pad}- {item.header}")
            body = " " * (column + max(layout.indent, 2))
            lines.extend(body + line if line else "" for line in item.lines)
        elif isinstance(item, dict):
            inner = _mapping(item, column + 2, layout)
            lines.append(f"{pad}- {inner[0].lstrip()}")
            lines.extend(inner[1:])
            if layout.blank_lines and "type" in item:
                lines.append("")
        else:
            raise TypeError(item)
    return lines


# --- commands ------------------------------------------------------------------------------


def shell_word(package: str, quote: str) -> str:
    """A package spec as a shell word: quoted when the shell would read <, >, [ or ~."""
    if not any(char in package for char in "<>[]~*"):
        return package
    return f'"{package}"' if quote == '"' else f"'{package}'"


@st.composite
def install_commands(draw: st.DrawFn) -> str:
    program = draw(st.sampled_from(("pip", "pip3", "python -m pip", "python3 -m pip",
                                    "uv pip")))
    options = draw(st.lists(st.sampled_from(("-q", "--no-cache-dir", "--upgrade",
                                             "--quiet", "--disable-pip-version-check")),
                            max_size=2, unique=True))
    if program == "uv pip":
        options = ["--system", *options]
    packages = draw(st.lists(st.sampled_from(PACKAGES), min_size=1, max_size=3, unique=True))
    quote = draw(st.sampled_from(("'", '"')))
    words = [program, "install", *options, *(shell_word(p, quote) for p in packages)]
    command = " ".join(words)
    suffix = draw(st.sampled_from(("", "", " > /dev/null", " 2>&1", " >/dev/null 2>&1",
                                   " && python -V", " ; echo installed")))
    prefix = draw(st.sampled_from(("", "", "echo start && ", "set -e; ")))
    return prefix + command + suffix


def commands(min_size: int = 0) -> st.SearchStrategy[list]:
    one = st.one_of(install_commands(), st.sampled_from(OTHER_COMMANDS))
    block = st.builds(lambda lines, header: Block(tuple(lines), header),
                      st.lists(one, min_size=1, max_size=3),
                      st.sampled_from(("|", "|-", "|+")))
    return st.lists(st.one_of(one, one, one, block), min_size=min_size, max_size=3)


# --- tasks ---------------------------------------------------------------------------------


class Ids:
    """Unique task ids within one flow."""

    def __init__(self) -> None:
        self.count = 0

    def next(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}_{self.count}"


@st.composite
def runner_properties(draw: st.DrawFn) -> dict:
    choice = draw(st.sampled_from(("none", "none", "docker", "process", "DOCKER", "PROCESS")))
    if choice == "docker":
        runner: dict = {"type": DOCKER}
        if draw(st.booleans()):
            runner["pullPolicy"] = draw(st.sampled_from(("IF_NOT_PRESENT", "ALWAYS")))
        return {"taskRunner": runner}
    if choice == "process":
        return {"taskRunner": {"type": PROCESS}}
    if choice in ("DOCKER", "PROCESS"):
        return {"runner": choice}
    return {}


@st.composite
def script_task(draw: st.DrawFn, ids: Ids) -> dict:
    task_type = draw(st.sampled_from((PYTHON_SCRIPT, PYTHON_SCRIPT, PYTHON_COMMANDS,
                                      SHELL_COMMANDS, SHELL_SCRIPT)))
    task: dict = {"id": ids.next("run"), "type": task_type}
    if draw(st.booleans()):
        task["containerImage"] = draw(st.sampled_from(IMAGES + (Raw("*image"),)))
    task.update(draw(runner_properties()))
    if draw(st.booleans()):
        task["beforeCommands"] = draw(commands(min_size=1))
    if task_type.endswith("Commands"):
        task["commands"] = draw(commands(min_size=1))
    elif task_type == PYTHON_SCRIPT:
        header = draw(st.sampled_from(("|", "|", "|-", "|+")))
        lines = draw(st.sampled_from(SCRIPTS))
        task["script"] = Block(lines + ("", "") if header == "|+" else lines, header)
    else:   # a shell script may install too; the fixes may rewrite it
        lines = draw(st.lists(st.one_of(st.sampled_from(OTHER_COMMANDS), install_commands()),
                              min_size=1, max_size=3))
        task["script"] = Block(tuple(lines), draw(st.sampled_from(("|", "|-"))))
    if task_type.startswith("io.kestra.plugin.scripts.python") and draw(st.integers(0, 3)) == 0:
        task["dependencies"] = draw(st.lists(st.sampled_from(("numpy", "kestra", "pandas")),
                                             min_size=1, max_size=2, unique=True))
    if draw(st.integers(0, 3)) == 0:
        task["env"] = draw(st.sampled_from(({"PYTHONPATH": "src"}, {"MODE": "prod"},
                                            {"PIP_INDEX_URL": "https://pypi.example.com"})))
    if draw(st.booleans()):
        task["timeout"] = "PT10M"
    return task


@st.composite
def legacy_task(draw: st.DrawFn, ids: Ids) -> dict:
    task: dict = {"id": ids.next("legacy"), "type": "io.kestra.core.tasks.scripts.Python",
                  "inputFiles": {"main.py": Block(draw(st.sampled_from(SCRIPTS)))}}
    if draw(st.booleans()):
        task["runner"] = draw(st.sampled_from(("DOCKER", "PROCESS")))
    task["requirements"] = draw(st.lists(st.sampled_from(PACKAGES), min_size=1, max_size=2,
                                         unique=True))
    return task


def log_task(ids: Ids) -> st.SearchStrategy[dict]:
    return st.builds(lambda message: {"id": ids.next("log"), "type": LOG, "message": message},
                     st.sampled_from(("hello", "{{ flow.id }}", "done: it worked", "# not a "
                                      "comment", "it's fine")))


@st.composite
def task_list(draw: st.DrawFn, ids: Ids, depth: int, most: int = 2) -> list:
    items: list = []
    for _ in range(draw(st.integers(1, most))):
        items.append(draw(task(ids, depth)))
        if draw(st.integers(0, 3)) == 0:
            items.append(Comment(f"about the next task {ids.count}"))
    return items


@st.composite
def task(draw: st.DrawFn, ids: Ids, depth: int) -> dict:
    kinds = ["script", "script", "script", "log", "legacy"]
    if depth > 0:
        kinds += ["Parallel", "If", "Switch", "WorkingDirectory", "ForEach", "Dag"]
    kind = draw(st.sampled_from(kinds))
    if kind == "script":
        return draw(script_task(ids))
    if kind == "log":
        return draw(log_task(ids))
    if kind == "legacy":
        return draw(legacy_task(ids))
    node: dict = {"id": ids.next(kind.lower()), "type": FLOWABLE + kind}
    inner = task_list(ids, depth - 1)
    if kind == "If":
        node["condition"] = "{{ inputs.go }}"
        node["then"] = draw(inner)
        if draw(st.booleans()):
            node["else"] = draw(inner)
    elif kind == "Switch":
        node["value"] = "{{ inputs.kind }}"
        node["cases"] = {"a": draw(inner)}
        if draw(st.booleans()):
            node["cases"]["b"] = draw(inner)
        if draw(st.booleans()):
            node["defaults"] = draw(inner)
    elif kind == "Dag":
        children = [item for item in draw(inner) if isinstance(item, dict)]
        node["tasks"] = [{"task": child} for child in children]
        if len(children) > 1:
            node["tasks"][1]["dependsOn"] = [children[0]["id"]]
    elif kind == "ForEach":
        node["values"] = ["emea", "amer"]
        node["tasks"] = draw(inner)
    else:
        if kind == "WorkingDirectory" and draw(st.booleans()):
            node["cache"] = {"patterns": ["deps/**", "venv/**"], "ttl": "PT1H"}
        node["tasks"] = draw(inner)
    return node


@st.composite
def plugin_defaults(draw: st.DrawFn) -> list:
    entries = []
    for _ in range(draw(st.integers(1, 2))):
        entry: dict = {"type": draw(st.sampled_from((
            "io.kestra.plugin.scripts", "io.kestra.plugin.scripts.python",
            PYTHON_SCRIPT, PYTHON_COMMANDS, SHELL_COMMANDS)))}
        if draw(st.booleans()):
            entry["forced"] = Raw("true")
        values = draw(st.sampled_from((
            {"taskRunner": {"type": PROCESS}}, {"taskRunner": {"type": DOCKER}},
            {"runner": "PROCESS"}, {"containerImage": "python:3.11-slim"},
            {"beforeCommands": ["pip install pandas"]})))
        entry["values"] = values
        entries.append(entry)
    return entries


@st.composite
def flow_specs(draw: st.DrawFn) -> dict:
    ids = Ids()
    spec: dict = {"id": draw(st.sampled_from(("etl", "daily_report", "flow-1"))),
                  "namespace": "company.team"}
    if draw(st.booleans()):
        spec["description"] = "Generated: it has a colon and a # sign"
    # An anchor the tasks may name (`containerImage: *image`).
    spec["variables"] = {"image": Raw("&image python:3.12-slim"), "other": "x"}
    if draw(st.integers(0, 3)) == 0:
        spec["pluginDefaults"] = draw(plugin_defaults())
    spec["tasks"] = draw(task_list(ids, depth=draw(st.sampled_from((0, 1, 1, 2))), most=3))
    for key in ("errors", "finally", "afterExecution"):
        if draw(st.integers(0, 5)) == 0:
            spec[key] = draw(task_list(ids, depth=0))
    return spec


layouts = st.builds(Layout, indent=st.sampled_from((2, 4)), indent_sequences=st.booleans(),
                    quote=st.sampled_from(("plain", "single", "double")),
                    newline=st.sampled_from(("\n", "\r\n")), comments=st.booleans(),
                    flow_lists=st.booleans(), blank_lines=st.booleans(),
                    quote_keys=st.integers(0, 4).map(lambda n: n == 0),
                    final_newline=st.booleans())


def restyled(layout: Layout, **changes: object) -> Layout:
    return replace(layout, **changes)
