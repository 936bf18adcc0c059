"""`flowlint server` end to end through the protocol, driven by pygls's client (pytest-lsp):
the server runs as `python -m flowlint server` in a subprocess, as editors start it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pytest_lsp", reason="pytest-lsp is in the test extra")

import pytest_lsp  # noqa: E402
from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402

pytestmark = pytest.mark.asyncio(loop_scope="function")

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "flowlint", "server"])

# FL001 on line 7 (0-based 6), after non-ASCII text on the same line: 'é' is 2 UTF-8 bytes
# and 1 UTF-16 unit, '😀' is 4 bytes and 2 units.
NON_ASCII_FLOW = """\
id: etl
namespace: company.team
tasks:
  - id: transform
    type: io.kestra.plugin.scripts.python.Script
    beforeCommands:
      - echo "héllo 😀"; pip install pandas
    script: print(1)
"""
BEFORE_PIP = '      - echo "héllo 😀"; '
BAD_FLOW = (FIXTURES / "FL001" / "bad-backslash-continuation.yaml").read_text(encoding="utf-8")
GOLDEN_FIX = (FIXTURES / "FL001" / "bad-backslash-continuation.fixed.dependencies.yaml"
              ).read_text(encoding="utf-8")
CLEAN_FLOW = GOLDEN_FIX


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient):
    lsp_client.registrations = []

    # pytest-lsp's client does not answer this request itself; editors do.
    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        lsp_client.registrations.extend(params.registrations)

    yield
    await lsp_client.shutdown_session()


def capabilities(encodings: list[str] | None = None, pull: bool = False,
                 configuration: bool = False) -> types.ClientCapabilities:
    return types.ClientCapabilities(
        general=types.GeneralClientCapabilities(position_encodings=encodings),
        text_document=types.TextDocumentClientCapabilities(
            diagnostic=types.DiagnosticClientCapabilities() if pull else None,
            code_action=types.CodeActionClientCapabilities(disabled_support=True),
            hover=types.HoverClientCapabilities()),
        workspace=types.WorkspaceClientCapabilities(
            configuration=configuration,
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True),
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(
                dynamic_registration=True)))


async def start(client: LanguageClient, folder: Path, encodings: list[str] | None = None,
                pull: bool = False, options: object = None,
                configuration: bool = False) -> types.InitializeResult:
    return await client.initialize_session(types.InitializeParams(
        capabilities=capabilities(encodings, pull, configuration),
        workspace_folders=[types.WorkspaceFolder(uri=folder.as_uri(), name="flows")],
        initialization_options=options))


def open_flow(client: LanguageClient, path: Path, text: str, version: int = 1) -> str:
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="yaml", version=version, text=text)))
    return uri


def change(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [types.TextDocumentContentChangeWholeDocument(text=text)]))


async def diagnostics(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics[uri])


async def code_actions(client: LanguageClient, uri: str, where: types.Range,
                       only: list[str] | None = None) -> list[types.CodeAction]:
    found = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(uri), where,
        types.CodeActionContext(diagnostics=[], only=only)))
    return list(found or [])


def applied(text: str, edit: types.WorkspaceEdit) -> str:
    """The text after a workspace edit, applied as an editor applies it (code units of
    UTF-16, the encoding these tests negotiate when they apply edits)."""
    (change_,) = edit.document_changes
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def at(position: types.Position) -> int:
        return starts[position.line] + position.character if position.line < len(lines) \
            else len(text)

    for text_edit in sorted(change_.edits, key=lambda e: (e.range.start.line,
                                                         e.range.start.character),
                            reverse=True):
        text = text[:at(text_edit.range.start)] + text_edit.new_text + \
            text[at(text_edit.range.end):]
    return text


def cli_fix(tmp_path: Path, text: str) -> str:
    """What `flowlint check --fix` writes for the same flow in the same folder."""
    path = tmp_path / "cli" / "flow.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "flowlint", "check", "--fix", "--no-cache",
                    str(path)], capture_output=True, check=False)
    return path.read_text(encoding="utf-8")


def cli_json(tmp_path: Path, text: str) -> list[dict]:
    """The findings of `flowlint check --format json` for the same flow."""
    path = tmp_path / "cli" / "flow.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "flowlint", "check", "--format", "json",
                          "--no-cache", str(path)], capture_output=True, check=False, text=True)
    return json.loads(run.stdout)["findings"]


async def test_initialize_reports_the_capabilities(client: LanguageClient, tmp_path) -> None:
    result = await start(client, tmp_path)
    capabilities_ = result.capabilities
    assert capabilities_.position_encoding == types.PositionEncodingKind.Utf16
    assert capabilities_.hover_provider
    assert capabilities_.diagnostic_provider.identifier == "flowlint"
    assert set(capabilities_.code_action_provider.code_action_kinds) == {
        types.CodeActionKind.QuickFix, "source.fixAll.flowlint"}
    assert result.server_info.name == "flowlint"


@pytest.mark.parametrize(("encodings", "unit_count"), [
    (None, lambda text: len(text.encode("utf-16-le")) // 2),
    (["utf-8", "utf-16"], lambda text: len(text.encode("utf-8"))),
    (["utf-32"], len),
])
async def test_diagnostic_positions_count_code_units_of_the_negotiated_encoding(
        client: LanguageClient, tmp_path, encodings, unit_count) -> None:
    result = await start(client, tmp_path, encodings)
    assert result.capabilities.position_encoding == (encodings or ["utf-16"])[0]
    uri = open_flow(client, tmp_path / "etl.yaml", NON_ASCII_FLOW)
    (found,) = await diagnostics(client, uri)
    assert found.range.start == types.Position(6, unit_count(BEFORE_PIP))
    assert found.range.end == types.Position(6, unit_count(BEFORE_PIP + "pip install pandas"))
    assert (found.code, found.source, found.severity) == (
        "FL001", "flowlint", types.DiagnosticSeverity.Error)
    assert found.code_description.href.endswith("/rules/FL001.yaml")
    assert "pip install" in found.message


async def test_changes_are_checked_again(client: LanguageClient, tmp_path) -> None:
    await start(client, tmp_path)
    uri = open_flow(client, tmp_path / "flow.yaml", BAD_FLOW)
    assert [d.code for d in await diagnostics(client, uri)] == ["FL001"]
    change(client, uri, CLEAN_FLOW, 2)
    assert await diagnostics(client, uri) == []
    # A warning, a whole multi-line range: FL004 on a Process runner.
    process = BAD_FLOW.replace("    containerImage: python:3.12-slim\n",
                               "    taskRunner:\n      type: io.kestra.plugin.core.runner.Process\n")
    change(client, uri, process, 3)
    (found,) = await diagnostics(client, uri)
    assert (found.code, found.severity) == ("FL004", types.DiagnosticSeverity.Warning)
    assert (found.range.start.line, found.range.end.line) == (11, 13)


async def test_pull_diagnostics(client: LanguageClient, tmp_path) -> None:
    await start(client, tmp_path, pull=True)
    uri = open_flow(client, tmp_path / "flow.yaml", BAD_FLOW)
    report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        types.TextDocumentIdentifier(uri)))
    assert report.kind == "full" and [d.code for d in report.items] == ["FL001"]
    again = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        types.TextDocumentIdentifier(uri), previous_result_id=report.result_id))
    assert again.kind == "unchanged"
    change(client, uri, CLEAN_FLOW, 2)
    after = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        types.TextDocumentIdentifier(uri), previous_result_id=report.result_id))
    assert after.kind == "full" and list(after.items) == []
    assert uri not in client.diagnostics   # a client that pulls is not also pushed to


async def test_quick_fix_and_fix_all_equal_the_cli_fix(client: LanguageClient,
                                                      tmp_path) -> None:
    await start(client, tmp_path)
    uri = open_flow(client, tmp_path / "flow.yaml", BAD_FLOW)
    (found,) = await diagnostics(client, uri)
    actions = await code_actions(client, uri, found.range)
    quick = [action for action in actions if action.kind == types.CodeActionKind.QuickFix]
    fix = quick[0]
    assert fix.title == "move requests==2.32.3, beautifulsoup4 to `dependencies`"
    assert fix.is_preferred and fix.diagnostics[0].code == "FL001"
    expected = cli_fix(tmp_path, BAD_FLOW)
    assert expected == GOLDEN_FIX
    assert applied(BAD_FLOW, fix.edit) == expected
    (fix_all,) = [action for action in actions if action.kind == "source.fixAll.flowlint"]
    assert applied(BAD_FLOW, fix_all.edit) == expected
    change(client, uri, expected, 2)
    assert await diagnostics(client, uri) == []


async def test_fix_all_on_request_and_only_filters(client: LanguageClient, tmp_path) -> None:
    await start(client, tmp_path)
    uri = open_flow(client, tmp_path / "flow.yaml", BAD_FLOW)
    await diagnostics(client, uri)
    start_of_file = types.Range(types.Position(0, 0), types.Position(0, 0))
    (action,) = await code_actions(client, uri, start_of_file, only=["source.fixAll"])
    assert action.kind == "source.fixAll.flowlint"
    assert action.edit.document_changes[0].text_document.version == 1
    assert await code_actions(client, uri, start_of_file, only=["refactor"]) == []


async def test_unsafe_fix_is_marked_and_not_preferred(client: LanguageClient,
                                                     tmp_path) -> None:
    await start(client, tmp_path, options={"fix": {"strategy": "process-runner"}})
    uri = open_flow(client, tmp_path / "flow.yaml", BAD_FLOW)
    (found,) = await diagnostics(client, uri)
    actions = await code_actions(client, uri, found.range)
    fix = actions[0]
    assert fix.title.endswith("(unsafe fix)") and not fix.is_preferred
    assert fix.edit is not None
    # fix-all applies safe fixes only, as `--fix` without --unsafe-fixes
    assert not [action for action in actions if action.kind == "source.fixAll.flowlint"]


async def test_refused_fix_is_a_disabled_action_with_the_reason(client: LanguageClient,
                                                               tmp_path) -> None:
    await start(client, tmp_path)
    text = (FIXTURES / "FL001" / "bad-and-chain.yaml").read_text(encoding="utf-8")
    uri = open_flow(client, tmp_path / "flow.yaml", text)
    found = await diagnostics(client, uri)
    actions = await code_actions(client, uri, found[0].range)
    disabled = [action for action in actions if action.disabled is not None]
    assert disabled and disabled[0].edit is None
    assert disabled[0].disabled.reason == cli_json(tmp_path, text)[0]["fix"]["reason"]


async def test_suppress_action_writes_the_comment(client: LanguageClient, tmp_path) -> None:
    await start(client, tmp_path)
    uri = open_flow(client, tmp_path / "flow.yaml", BAD_FLOW)
    (found,) = await diagnostics(client, uri)
    (suppress,) = [action for action in await code_actions(client, uri, found.range)
                   if action.title.startswith("Suppress")]
    assert suppress.title == "Suppress FL001 for task 'scrape'"
    suppressed = applied(BAD_FLOW, suppress.edit)
    assert "  - id: scrape  # flowlint: ignore[FL001]\n" in suppressed
    change(client, uri, suppressed, 2)
    assert await diagnostics(client, uri) == []


async def test_hover_shows_the_rule_documentation(client: LanguageClient, tmp_path) -> None:
    await start(client, tmp_path)
    text = BAD_FLOW.replace("  - id: scrape\n",
                            "  - id: scrape  # flowlint: ignore[FL007] unpinned on purpose\n")
    uri = open_flow(client, tmp_path / "flow.yaml", text)
    (found,) = await diagnostics(client, uri)
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), found.range.start))
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert hover.contents.value.startswith("**FL001**")
    assert "## Why is this bad?" in hover.contents.value
    on_code = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), types.Position(5, text.splitlines()[5].index("FL007")
                                                          + 2)))
    assert on_code.contents.value.startswith("# FL007 ")
    nothing = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), types.Position(0, 0)))
    assert nothing is None


async def test_config_file_change_is_reloaded(client: LanguageClient, tmp_path) -> None:
    await start(client, tmp_path)
    uri = open_flow(client, tmp_path / "flow.yaml", BAD_FLOW)
    assert [d.code for d in await diagnostics(client, uri)] == ["FL001"]
    config = tmp_path / ".flowlint.toml"
    config.write_text('ignore = ["FL001"]\n', encoding="utf-8")
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams([
        types.FileEvent(config.as_uri(), types.FileChangeType.Created)]))
    assert await diagnostics(client, uri) == []
    config.write_text('select = ["FL001"]\n', encoding="utf-8")
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams([
        types.FileEvent(config.as_uri(), types.FileChangeType.Changed)]))
    assert [d.code for d in await diagnostics(client, uri)] == ["FL001"]


async def test_workspace_configuration_overrides_select(client: LanguageClient,
                                                       tmp_path) -> None:
    client.set_configuration({"select": ["FL004"]}, section="flowlint")
    await start(client, tmp_path, configuration=True)
    uri = open_flow(client, tmp_path / "flow.yaml", BAD_FLOW)
    # Opened before the settings arrived, or after: the last diagnostics use them.
    for _ in range(3):
        if await diagnostics(client, uri) == []:
            break
    assert list(client.diagnostics[uri]) == []
    client.set_configuration({"select": ["FL001"]}, section="flowlint")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(None))
    assert [d.code for d in await diagnostics(client, uri)] == ["FL001"]


async def test_bad_settings_are_reported_not_fatal(client: LanguageClient, tmp_path) -> None:
    await start(client, tmp_path, options={"select": ["FL999"], "target-version": "banana"})
    uri = open_flow(client, tmp_path / "flow.yaml", BAD_FLOW)
    assert [d.code for d in await diagnostics(client, uri)] == ["FL001"]
    said = " ".join(message.message for message in client.messages)
    assert "FL999" in said and "banana" in said


async def test_bad_documents_never_stop_the_server(client: LanguageClient, tmp_path) -> None:
    (tmp_path / ".flowlint.toml").write_text("max-file-size = 2000\n", encoding="utf-8")
    await start(client, tmp_path)
    half_typed = open_flow(client, tmp_path / "half.yaml", "id: etl\ntasks:\n  - id: [a\n")
    (syntax,) = await diagnostics(client, half_typed)
    assert syntax.code == "FL000" and syntax.range.start.line >= 2
    not_a_flow = open_flow(client, tmp_path / "compose.yaml", "services:\n  web: {}\n")
    assert await diagnostics(client, not_a_flow) == []
    huge = open_flow(client, tmp_path / "huge.yaml", BAD_FLOW + "#" * 3000 + "\n")
    (too_large,) = await diagnostics(client, huge)
    assert "over the limit" in too_large.message and too_large.code is None
    binary = open_flow(client, tmp_path / "nul.yaml", "id: a\x00\n")
    await diagnostics(client, binary)
    # Still serving:
    uri = open_flow(client, tmp_path / "flow.yaml", BAD_FLOW)
    assert [d.code for d in await diagnostics(client, uri)] == ["FL001"]


async def test_bad_config_file_is_a_diagnostic(client: LanguageClient, tmp_path) -> None:
    (tmp_path / ".flowlint.toml").write_text("select = [\n", encoding="utf-8")
    await start(client, tmp_path)
    uri = open_flow(client, tmp_path / "flow.yaml", BAD_FLOW)
    (found,) = await diagnostics(client, uri)
    assert "configuration error" in found.message and ".flowlint.toml" in found.message
