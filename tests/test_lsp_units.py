"""The language server's parts without a subprocess: positions, settings, the JSON-RPC
loop's answers to bad input, and the debounce."""

from __future__ import annotations

import io
import json
import os
import threading
import time

import pytest

from flowlint.catalogue import load_catalogue
from flowlint.lsp import jsonrpc
from flowlint.lsp.code_actions import whole_text_edit
from flowlint.lsp.positions import UTF8, UTF16, UTF32, choose_encoding, offset, position
from flowlint.lsp.server import Server
from flowlint.lsp.workspace_config import Overrides, layered, parse_overrides
from flowlint.source import Source

FLOW = """\
id: etl
namespace: company.team
tasks:
  - id: transform
    type: io.kestra.plugin.scripts.python.Script
    beforeCommands:
      - pip install pandas
    script: print(1)
"""


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("encoding", [UTF8, UTF16, UTF32])
def test_positions_round_trip_through_every_encoding(encoding: str, newline: str) -> None:
    text = newline.join(["a: 'ü€😀x'", "b: 日本 😀😀 y", ""])
    source = Source.from_text("f.yaml", text)
    for at in range(len(text) + 1):
        if text[at - 1:at + 1] == "\r\n":
            continue   # between CR and LF is no position an editor can name
        assert offset(source, position(source, at, encoding), encoding) == at


def test_columns_count_code_units() -> None:
    source = Source.from_text("f.yaml", "x: é😀z\n")
    at = source.text.index("z")
    assert position(source, at, UTF16) == {"line": 0, "character": 6}
    assert position(source, at, UTF8) == {"line": 0, "character": 9}
    assert position(source, at, UTF32) == {"line": 0, "character": 5}


def test_positions_past_the_end_are_clamped() -> None:
    source = Source.from_text("f.yaml", "ab\ncd\n")
    assert offset(source, {"line": 0, "character": 99}, UTF16) == 2
    assert offset(source, {"line": 9, "character": 0}, UTF16) == len(source.text)


def test_the_encoding_is_the_clients_first_that_we_speak() -> None:
    assert choose_encoding(None) == UTF16
    assert choose_encoding(["utf-7", "utf-8", "utf-16"]) == UTF8
    assert choose_encoding("utf-8") == UTF16


def test_overrides_accept_editor_spellings_and_report_problems() -> None:
    catalogue = load_catalogue()
    overrides, problems = parse_overrides(
        {"select": "FL001,FL004", "targetVersion": 0.18, "fix.strategy": "custom-image"},
        catalogue)
    assert overrides == Overrides(("FL001", "FL004"), "0.18", "custom-image") and not problems
    overrides, problems = parse_overrides(
        {"select": ["XX1"], "target-version": "3.0", "fix": {"strategy": "magic"}}, catalogue)
    assert overrides == Overrides() and len(problems) == 3
    assert parse_overrides("nonsense", catalogue)[1] == ["settings must be an object"]
    assert layered(Overrides(("FL001",), "1.0"), Overrides(None, "0.18")) == \
        Overrides(("FL001",), "0.18")


@pytest.mark.parametrize(("before", "after"), [("abc", "abc"), ("abc", "abXc"), ("", "x"),
                                               ("aaa", "aa"), ("abcabc", "abc"), ("xy", "")])
def test_the_fix_all_edit_covers_only_what_differs(before: str, after: str) -> None:
    edit = whole_text_edit(before, after)
    assert before[:edit.start] + edit.text + before[edit.end:] == after
    assert len(edit.text) == max(0, len(after) - len(before)) or before[:1] != after[:1]


def frame(message: dict | bytes) -> bytes:
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def replies(*messages: dict | bytes) -> list[dict]:
    """The server's messages for `messages` fed in one go, up to the end of the stream."""
    output = io.BytesIO()
    Server(io.BytesIO(b"".join(frame(message) for message in messages)), output).run()
    return replies_in(output.getvalue())


def call(request_id: int, method: str, params: object = None) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}


def note(method: str, params: object) -> dict:
    return {"jsonrpc": "2.0", "method": method, "params": params}


INITIALIZE = call(1, "initialize", {"capabilities": {}, "rootUri": None})


def test_bad_input_gets_errors_and_the_server_goes_on() -> None:
    answers = replies(call(0, "textDocument/hover", {}), b"{not json", b"[1, 2]",
                      INITIALIZE, call(2, "no/such/method"),
                      call(3, "textDocument/codeAction", {"textDocument": {}}),
                      call(4, "textDocument/hover", {"textDocument": {"uri": "file:///x.yaml"},
                                                    "position": {"line": 0, "character": 0}}),
                      call(5, "shutdown"), call(6, "textDocument/hover", {}))
    by_id = {answer.get("id"): answer for answer in answers if "id" in answer}
    codes = [answer["error"]["code"] for answer in answers if "error" in answer]
    assert by_id[0]["error"]["code"] == jsonrpc.SERVER_NOT_INITIALIZED
    assert codes.count(jsonrpc.PARSE_ERROR) == 2
    assert by_id[2]["error"]["code"] == jsonrpc.METHOD_NOT_FOUND
    assert by_id[3]["error"]["code"] == jsonrpc.INVALID_PARAMS   # the client's mistake
    assert by_id[4]["result"] is None and by_id[5]["result"] is None
    assert by_id[6]["error"]["code"] == jsonrpc.INVALID_REQUEST


def test_a_bad_content_length_ends_the_connection_not_the_process() -> None:
    server = Server(io.BytesIO(b"Content-Length: lots\r\n\r\n{}"), io.BytesIO())
    assert server.run() == 1


def test_exit_code_follows_shutdown() -> None:
    assert Server(io.BytesIO(frame(INITIALIZE) + frame(call(2, "shutdown")) +
                             frame(note("exit", None))), io.BytesIO()).run() == 0
    assert Server(io.BytesIO(frame(INITIALIZE) + frame(note("exit", None))),
                  io.BytesIO()).run() == 1


def test_non_yaml_documents_are_not_checked() -> None:
    answers = replies(INITIALIZE, note("textDocument/didOpen", {"textDocument": {
        "uri": "file:///tmp/notes.md", "languageId": "markdown", "version": 1, "text": FLOW}}))
    assert not [answer for answer in answers if answer.get("method") ==
                "textDocument/publishDiagnostics"]


def test_changes_are_debounced_into_one_check(tmp_path) -> None:
    """Ten changes in quick succession: one check, of the last version."""
    read_end, write_end = os.pipe()
    output = io.BytesIO()
    server = Server(os.fdopen(read_end, "rb"), output, debounce=0.3)
    thread = threading.Thread(target=server.run)
    thread.start()
    uri = (tmp_path / "flow.yaml").as_uri()
    with os.fdopen(write_end, "wb") as pipe:
        pipe.write(frame(INITIALIZE) + frame(note("initialized", {})))
        pipe.write(frame(note("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "yaml", "version": 1, "text": FLOW}})))
        for version in range(2, 12):
            pipe.write(frame(note("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"text": FLOW + f"# edit {version}\n"}]})))
            pipe.flush()
            time.sleep(0.01)
        time.sleep(0.8)
    thread.join(timeout=10)
    published = [message["params"] for message in replies_in(output.getvalue())
                 if message.get("method") == "textDocument/publishDiagnostics"]
    assert [params["version"] for params in published] == [1, 11]
    assert server.checks == 2


def replies_in(data: bytes) -> list[dict]:
    found = []
    while data:
        header, _, rest = data.partition(b"\r\n\r\n")
        length = int(header.split(b":")[1])
        found.append(json.loads(rest[:length]))
        data = rest[length:]
    return found


def test_an_empty_select_from_the_editor_leaves_the_config_files() -> None:
    # VS Code writes `[]` for an unset list setting: it must not replace the config file's
    # `select` with the default rules.
    catalogue = load_catalogue()
    for empty in ([], "", [" "]):
        assert parse_overrides({"select": empty}, catalogue) == (Overrides(), [])


PLAIN_MULTILINE_FIRST_LINE = """\
id: edge
namespace: company.team
tasks:
  - commands: pip install
      pandas && python x.py
    id: plainmulti
    type: io.kestra.plugin.scripts.python.Commands
"""


def test_the_suppress_action_never_breaks_the_yaml() -> None:
    # The task's first line ends inside a multi-line plain scalar: a comment there would end
    # the scalar (FL000). The comment goes on the `id` line instead.
    from flowlint.lint import check_source
    from flowlint.lsp.code_actions import ActionContext, finding_actions
    from flowlint.settings import CommandLine, ConfigResolver, SettingsResolver

    settings = SettingsResolver(load_catalogue(), ConfigResolver(cwd=os.getcwd()),
                                CommandLine()).for_path(os.path.abspath("flow.yaml"))
    source = Source.from_text("flow.yaml", PLAIN_MULTILINE_FIRST_LINE)
    context = ActionContext("file:///flow.yaml", 1, UTF16, True, False,
                            lambda finding, at: {})
    actions = finding_actions(source, settings, 0, len(source.text), context)
    (suppress,) = [action for action in actions if action["title"].startswith("Suppress")]
    (edit,) = suppress["edit"]["changes"]["file:///flow.yaml"]
    assert edit["range"]["start"] == {"line": 5, "character": 18}
    assert edit["newText"] == "  # flowlint: ignore[FL001]"
    lines = PLAIN_MULTILINE_FIRST_LINE.splitlines(keepends=True)
    lines[5] = lines[5].rstrip("\n") + edit["newText"] + "\n"
    assert check_source(Source.from_text("flow.yaml", "".join(lines)), settings).findings == []


def test_fix_all_is_made_when_picked_for_clients_that_resolve(tmp_path, monkeypatch) -> None:
    """Editors ask for code actions at every cursor move; the fix loop takes seconds on a
    long flow. A client that resolves edits gets the fix-all action without its edit, and
    `codeAction/resolve` runs the loop, once per version of the document."""
    from flowlint.lsp import code_actions

    runs: list[str] = []
    real = code_actions.fix_all_action
    monkeypatch.setattr(code_actions, "fix_all_action",
                        lambda *args: runs.append("fix") or real(*args))
    uri = (tmp_path / "flow.yaml").as_uri()
    resolving = {"capabilities": {"textDocument": {"codeAction": {
        "resolveSupport": {"properties": ["edit"]}}}}, "rootUri": tmp_path.as_uri()}
    at = {"start": {"line": 6, "character": 8}, "end": {"line": 6, "character": 8}}
    ask = {"textDocument": {"uri": uri}, "range": at, "context": {"diagnostics": []}}
    answers = replies(call(1, "initialize", resolving), note("initialized", {}),
                      note("textDocument/didOpen", {"textDocument": {
                          "uri": uri, "languageId": "yaml", "version": 1, "text": FLOW}}),
                      call(2, "textDocument/codeAction", ask),
                      call(3, "textDocument/codeAction", ask))
    by_id = {answer.get("id"): answer for answer in answers if "id" in answer}
    assert by_id[1]["result"]["capabilities"]["codeActionProvider"]["resolveProvider"]
    (lazy,) = [action for action in by_id[2]["result"]
               if action["kind"] == code_actions.FIX_ALL]
    assert "edit" not in lazy and runs == []
    answers = replies(call(1, "initialize", resolving), note("initialized", {}),
                      note("textDocument/didOpen", {"textDocument": {
                          "uri": uri, "languageId": "yaml", "version": 1, "text": FLOW}}),
                      call(2, "codeAction/resolve", lazy), call(3, "codeAction/resolve", lazy))
    by_id = {answer.get("id"): answer for answer in answers if "id" in answer}
    (edit,) = by_id[2]["result"]["edit"]["changes"][uri]
    assert "dependencies:" in edit["newText"] and by_id[3]["result"] == by_id[2]["result"]
    assert runs == ["fix"]


def test_a_syntax_error_is_shown_to_the_end_of_its_line() -> None:
    from flowlint.findings import Finding, Span
    from flowlint.lsp.diagnostics import diagnostic

    text = "id: x\nnamespace: [unclosed\ntasks: []\n"
    source = Source.from_text("f.yaml", text)
    at = text.index("[unclosed")
    item = diagnostic(Finding("FL000", Span(at, at), "invalid YAML"), source, None, UTF16)
    assert item["range"] == {"start": {"line": 1, "character": 11},
                             "end": {"line": 1, "character": 20}}


def test_a_request_missing_its_fields_is_invalid_params() -> None:
    opened = note("textDocument/didOpen", {"textDocument": {
        "uri": "file:///tmp/x.yaml", "languageId": "yaml", "version": 1, "text": FLOW}})
    answers = replies(INITIALIZE, opened, call(2, "textDocument/hover",
                                               {"textDocument": {"uri": "file:///tmp/x.yaml"}}))
    (answer,) = [answer for answer in answers if answer.get("id") == 2]
    assert answer["error"]["code"] == jsonrpc.INVALID_PARAMS
    assert "position" in answer["error"]["message"]
