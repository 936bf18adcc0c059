"""`flowlint server`: the language server's wiring. One thread reads messages; the main loop
handles them in order, runs the debounced checks when due, and alone writes to the client."""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlparse

from flowlint import __version__
from flowlint.lsp import jsonrpc
from flowlint.lsp.diagnostics import (
    DocumentCheck,
    check_text,
    diagnostic,
    findings_at,
    to_diagnostics,
)
from flowlint.lsp.positions import choose_encoding, offset
from flowlint.lsp.workspace_config import (
    CONFIG_FILE_NAMES,
    WorkspaceConfig,
    is_config_file,
    parse_overrides,
)
from flowlint.records import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import BinaryIO

    from flowlint.lsp.code_actions import ActionContext

DEBOUNCE_SECONDS = 0.15
YAML_SUFFIXES = (".yaml", ".yml")
_TICK = object()   # the loop woke up for a due check, not for a message


class RequestError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class Document:
    """An open document, and its check once one is needed."""

    __slots__ = ("uri", "path", "text", "version", "linted", "check", "check_id", "due",
                 "fix_all")

    def __init__(self, uri: str, path: str, text: str, version: int | None, linted: bool,
                 due: float | None = None) -> None:
        self.uri = uri
        self.path = path
        self.text = text
        self.version = version
        self.linted = linted                   # a YAML file: checked; anything else only tracked
        self.check: DocumentCheck | None = None   # of `text`; None until needed
        self.check_id = 0                      # resultId of pull diagnostics
        self.due = due                         # when the debounced check is to be published
        self.fix_all: tuple[int, dict | None] | None = None   # (check_id, the fix-all action)

class Server:
    def __init__(self, reader: BinaryIO, writer: BinaryIO,
                 debounce: float = DEBOUNCE_SECONDS) -> None:
        self.reader, self.writer = reader, writer
        self.debounce = debounce
        self.inbox: queue.Queue = queue.Queue()
        self.documents: dict[str, Document] = {}
        self.config: WorkspaceConfig | None = None
        self.client: dict = {}            # the client's capabilities
        self.encoding = "utf-16"
        self.push = True                  # False for a client that pulls diagnostics
        self.shutting_down = False
        self.exit_code: int | None = None
        self.next_request_id = 0
        self.awaiting: dict[int, Callable[[object], None]] = {}
        self.checks = 0
        self.requests: dict[str, Callable[[dict], object]] = {
            "initialize": self.initialize,
            "shutdown": self.shutdown,
            "textDocument/diagnostic": self.pull_diagnostics,
            "textDocument/codeAction": self.code_action,
            "codeAction/resolve": self.resolve_code_action,
            "textDocument/hover": self.hover,
        }
        self.notifications: dict[str, Callable[[dict], None]] = {
            "initialized": self.on_initialized,
            "exit": self.on_exit,
            "textDocument/didOpen": self.did_open,
            "textDocument/didChange": self.did_change,
            "textDocument/didClose": self.did_close,
            "textDocument/didSave": self.did_save,
            "workspace/didChangeConfiguration": self.did_change_configuration,
            "workspace/didChangeWatchedFiles": self.did_change_watched_files,
            "workspace/didChangeWorkspaceFolders": self.did_change_workspace_folders,
        }

    # ------------------------------------------------------------------ the loop

    def run(self) -> int:
        threading.Thread(target=self._read_messages, name="flowlint-lsp-reader",
                         daemon=True).start()
        while self.exit_code is None:
            try:
                message = self.inbox.get(timeout=self._until_next_check())
            except queue.Empty:
                message = _TICK
            if message is None:   # the client closed the stream without `exit`
                return 0 if self.shutting_down else 1
            if message is not _TICK:
                self.handle(message)
            self._publish_due()
        return self.exit_code

    def _read_messages(self) -> None:
        try:
            while True:
                message = jsonrpc.read_message(self.reader)
                self.inbox.put(message)
                if message is None:
                    return
        except (jsonrpc.ProtocolError, OSError, ValueError) as error:
            print(f"flowlint server: {error}", file=sys.stderr)
            self.inbox.put(None)

    def send(self, message: dict) -> None:
        self.writer.write(jsonrpc.encode_message(message))
        self.writer.flush()

    def request_client(self, method: str, params: object,
                       then: Callable[[object], None] | None = None) -> None:
        self.next_request_id += 1
        if then is not None:
            self.awaiting[self.next_request_id] = then
        self.send(jsonrpc.request(self.next_request_id, method, params))

    def handle(self, message: dict | str) -> None:
        """One message; whatever goes wrong answers that message, never ends the server."""
        if isinstance(message, str):
            self.send(jsonrpc.error_response(None, jsonrpc.PARSE_ERROR, "not a JSON object"))
            return
        method, request_id = message.get("method"), message.get("id")
        if method is None:
            self._answer_to_us(message)
            return
        params = message.get("params") or {}
        try:
            if "id" in message:
                self.send(jsonrpc.response(request_id, self._call(method, params)))
            elif method in self.notifications and (self.client or method == "exit"):
                self.notifications[method](params)
        except RequestError as error:
            self.send(jsonrpc.error_response(request_id, error.code, str(error)))
        except Exception as error:  # noqa: BLE001 - a bug answers one message, not all
            import traceback

            self.log(f"{method} failed: {type(error).__name__}: {error}\n"
                     f"{traceback.format_exc()}")
            if "id" in message:
                self.send(jsonrpc.error_response(request_id, jsonrpc.INTERNAL_ERROR,
                                                 f"{type(error).__name__}: {error}"))

    def _call(self, method: str, params: dict) -> object:
        handler = self.requests.get(method)
        if handler is None:
            raise RequestError(jsonrpc.METHOD_NOT_FOUND, f"unknown method {method}")
        if not self.client and method != "initialize":
            raise RequestError(jsonrpc.SERVER_NOT_INITIALIZED, "initialize first")
        if self.shutting_down:
            raise RequestError(jsonrpc.INVALID_REQUEST, "the server is shutting down")
        try:
            return handler(params)
        except (KeyError, TypeError, AttributeError) as error:
            # A request without the fields its method needs (a hover with no position):
            # the client's mistake, named as one rather than as a server failure.
            raise RequestError(jsonrpc.INVALID_PARAMS,
                               f"invalid params for {method}: {type(error).__name__}: "
                               f"{error}") from None

    def _answer_to_us(self, message: dict) -> None:
        then = self.awaiting.pop(message.get("id"), None)
        if then is not None and "result" in message:
            then(message["result"])

    def log(self, text: str, kind: int = 1) -> None:
        self.send(jsonrpc.notification("window/logMessage", {"type": kind, "message": text}))

    def warn(self, text: str) -> None:
        self.send(jsonrpc.notification("window/showMessage", {"type": 2, "message": text}))

    # ------------------------------------------------------------------ lifecycle

    def initialize(self, params: dict) -> dict:
        self.client = params.get("capabilities") or {"initialized": True}
        self.encoding = choose_encoding(_get(self.client, "general", "positionEncodings"))
        self.push = _get(self.client, "textDocument", "diagnostic") is None
        self.config = WorkspaceConfig()
        self.config.set_folders(_folders(params))
        self._apply_settings(params.get("initializationOptions"), None)
        return {
            "capabilities": {
                "positionEncoding": self.encoding,
                "textDocumentSync": {"openClose": True, "change": 1,
                                     "save": {"includeText": False}},
                "diagnosticProvider": {"identifier": "flowlint",
                                       "interFileDependencies": False,
                                       "workspaceDiagnostics": False},
                "codeActionProvider": {"codeActionKinds": ["quickfix",
                                                           "source.fixAll.flowlint"],
                                       "resolveProvider": True},
                "hoverProvider": True,
                "workspace": {"workspaceFolders": {"supported": True,
                                                   "changeNotifications": True}},
            },
            "serverInfo": {"name": "flowlint", "version": __version__},
        }

    def on_initialized(self, _params: dict) -> None:
        if _get(self.client, "workspace", "didChangeWatchedFiles", "dynamicRegistration"):
            watchers = [{"globPattern": f"**/{name}"} for name in CONFIG_FILE_NAMES]
            self.request_client("client/registerCapability", {"registrations": [{
                "id": "flowlint-config-files", "method": "workspace/didChangeWatchedFiles",
                "registerOptions": {"watchers": watchers}}]})
        self._pull_settings()

    def shutdown(self, _params: dict) -> None:
        self.shutting_down = True

    def on_exit(self, _params: dict) -> None:
        self.exit_code = 0 if self.shutting_down else 1

    # ------------------------------------------------------------------ settings

    def _apply_settings(self, data: object, folder: str | None) -> None:
        overrides, problems = parse_overrides(data, self.config.catalogue)
        if folder is None:
            self.config.defaults = overrides
        else:
            self.config.by_folder[folder] = overrides
        for problem in problems:
            self.warn(f"flowlint: {problem}; the config file's setting is used")

    def _pull_settings(self) -> None:
        """Per-folder settings through workspace/configuration, for clients that have it."""
        if not _get(self.client, "workspace", "configuration"):
            return
        folders = self.config.folders
        items = [{"scopeUri": Path(folder).as_uri(), "section": "flowlint"}
                 for folder in folders] or [{"section": "flowlint"}]

        def received(result: object) -> None:
            if not isinstance(result, list):
                return
            for folder, data in zip(folders or [None], result):
                if data is not None and folder is not None:
                    self._apply_settings(data, folder)
                elif data is not None:
                    self._apply_settings(data, None)
            self.reload()

        self.request_client("workspace/configuration", {"items": items}, received)

    def did_change_configuration(self, params: dict) -> None:
        settings = params.get("settings")
        if isinstance(settings, dict) and isinstance(settings.get("flowlint"), dict):
            self._apply_settings(settings["flowlint"], None)
            self.config.by_folder.clear()
        if _get(self.client, "workspace", "configuration"):
            self._pull_settings()   # reloads when the settings arrive, not before
        else:
            self.reload()

    def did_change_watched_files(self, params: dict) -> None:
        if any(is_config_file(_path(change.get("uri", "")) or "")
               for change in params.get("changes", [])):
            self.reload()

    def did_change_workspace_folders(self, params: dict) -> None:
        event = params.get("event") or {}
        removed = {_path(folder.get("uri", "")) for folder in event.get("removed", [])}
        kept = [folder for folder in self.config.folders if folder not in removed]
        added = [_path(folder.get("uri", "")) for folder in event.get("added", [])]
        self.config.set_folders([folder for folder in kept + added if folder])
        self._pull_settings()
        self.reload()

    def reload(self) -> None:
        """Config files are read again, and every open document is checked again."""
        self.config.reload()
        for document in self.documents.values():
            document.check = None
            if document.linted and self.push:
                document.due = time.monotonic()
        if not self.push and _get(self.client, "workspace", "diagnostics", "refreshSupport"):
            self.request_client("workspace/diagnostic/refresh", None)

    # ------------------------------------------------------------------ documents

    def did_open(self, params: dict) -> None:
        item = params["textDocument"]
        uri = item["uri"]
        path = _path(uri) or os.path.join(self.config.folders[0] if self.config.folders
                                          else os.getcwd(), "untitled.yaml")
        linted = (item.get("languageId") == "yaml" or path.endswith(YAML_SUFFIXES)) \
            and not is_config_file(path)
        self.documents[uri] = Document(uri, path, item.get("text", ""), item.get("version"),
                                       linted, due=time.monotonic() if linted and self.push
                                       else None)

    def did_change(self, params: dict) -> None:
        document = self.documents.get(params["textDocument"]["uri"])
        if document is None:
            return
        for change in params.get("contentChanges", []):
            document.text = _changed(document.text, change, self.encoding)
        document.version = params["textDocument"].get("version")
        document.check = None
        if document.linted and self.push:
            document.due = time.monotonic() + self.debounce

    def did_close(self, params: dict) -> None:
        document = self.documents.pop(params["textDocument"]["uri"], None)
        if document is not None and document.linted and self.push:
            self._publish(document.uri, None, [])

    def did_save(self, params: dict) -> None:
        document = self.documents.get(params["textDocument"]["uri"])
        if document is not None and is_config_file(document.path):
            self.reload()   # for clients that do not watch files

    # ------------------------------------------------------------------ diagnostics

    def checked(self, document: Document) -> DocumentCheck:
        if document.check is None:
            document.check = self._check(document)
            self.checks += 1
            document.check_id = self.checks
        return document.check

    def _check(self, document: Document) -> DocumentCheck:
        from flowlint.config import ConfigError

        if not document.linted:
            return DocumentCheck(None)
        try:
            if self.config.excluded(document.path):
                return DocumentCheck(None)
            settings = self.config.settings_for(document.path)
        except ConfigError as error:
            return DocumentCheck(None, (), f"configuration error: {error}")
        return check_text(document.path, document.text, settings)

    def diagnostics_of(self, document: Document) -> list[dict]:
        check = self.checked(document)
        if check.source is None and check.problem is None:
            return []
        return to_diagnostics(check, self.config.catalogue, self.encoding)

    def _until_next_check(self) -> float | None:
        due = [document.due for document in self.documents.values() if document.due is not None]
        return max(0.0, min(due) - time.monotonic()) if due else None

    def _publish_due(self) -> None:
        now = time.monotonic()
        for document in list(self.documents.values()):
            if document.due is not None and document.due <= now:
                document.due = None
                self._publish(document.uri, document.version, self.diagnostics_of(document))

    def _publish(self, uri: str, version: int | None, diagnostics: list[dict]) -> None:
        params = {"uri": uri, "diagnostics": diagnostics}
        if version is not None:
            params["version"] = version
        self.send(jsonrpc.notification("textDocument/publishDiagnostics", params))

    def pull_diagnostics(self, params: dict) -> dict:
        document = self.documents.get(params["textDocument"]["uri"])
        if document is None:
            return {"kind": "full", "items": []}
        items = self.diagnostics_of(document)
        result_id = str(document.check_id)
        if params.get("previousResultId") == result_id:
            return {"kind": "unchanged", "resultId": result_id}
        return {"kind": "full", "resultId": result_id, "items": items}

    # ------------------------------------------------------------------ actions, hover

    def code_action(self, params: dict) -> list[dict]:
        from flowlint.lsp import code_actions as actions

        document = self.documents.get(params["textDocument"]["uri"])
        if document is None:
            return []
        check = self.checked(document)
        if check.source is None or check.problem is not None or not check.findings:
            return []
        source = check.source
        only = (params.get("context") or {}).get("only")
        found: list[dict] = []
        if actions.wants(actions.QUICKFIX, only):
            start = offset(source, params["range"]["start"], self.encoding)
            end = offset(source, params["range"]["end"], self.encoding)
            if findings_at(check, start, end):   # editors ask at every cursor move
                found.extend(actions.finding_actions(source, self.config.settings_for(
                    document.path), start, end, self._action_context(document)))
        if actions.wants(actions.FIX_ALL, only) and any(
                getattr(self.config.catalogue.get(finding.rule), "fixable", False)
                for finding in check.findings):
            if self._resolves("edit"):
                # The fix loop takes seconds on a long flow, and editors ask for code actions
                # at every cursor move: the edit is made when the action is picked.
                found.append(actions.lazy_fix_all(document.uri, document.version))
            else:
                fix_all = self._fix_all(document)
                if fix_all is not None:
                    found.append(fix_all)
        return found

    def resolve_code_action(self, params: dict) -> dict:
        """The fix-all action's edit, made now for the document as it is now (the
        versioned edit is refused by the editor if the buffer changed meanwhile)."""
        from flowlint.lsp import code_actions as actions

        data = params.get("data")
        if params.get("kind") != actions.FIX_ALL or not isinstance(data, dict):
            return params
        document = self.documents.get(data.get("uri"))
        fix_all = self._fix_all(document) if document is not None else None
        return {**params, "edit": fix_all["edit"] if fix_all is not None else {"changes": {}}}

    def _fix_all(self, document: Document) -> dict | None:
        """The document's fix-all action, made once per version of its text and settings."""
        from flowlint.lsp import code_actions as actions

        check = self.checked(document)
        if check.source is None or check.problem is not None:
            return None
        if document.fix_all is None or document.fix_all[0] != document.check_id:
            made = actions.fix_all_action(document.path, check.source,
                                          self.config.settings_for(document.path),
                                          self._action_context(document))
            document.fix_all = (document.check_id, made)
        return document.fix_all[1]

    def _action_context(self, document: Document) -> ActionContext:
        from flowlint.lsp.code_actions import ActionContext

        return ActionContext(
            document.uri, document.version, self.encoding,
            bool(_get(self.client, "textDocument", "codeAction", "disabledSupport")),
            bool(_get(self.client, "workspace", "workspaceEdit", "documentChanges")),
            lambda finding, at: diagnostic(finding, at, self.config.catalogue.get(
                finding.rule), self.encoding))

    def _resolves(self, prop: str) -> bool:
        properties = _get(self.client, "textDocument", "codeAction", "resolveSupport",
                          "properties")
        return isinstance(properties, list) and prop in properties

    def hover(self, params: dict) -> dict | None:
        from flowlint.lsp.hover import hover_text

        document = self.documents.get(params["textDocument"]["uri"])
        if document is None:
            return None
        check = self.checked(document)
        if check.source is None:
            return None
        at = offset(check.source, params["position"], self.encoding)
        text = hover_text(check, at, self.config.catalogue)
        return None if text is None else {"contents": {"kind": "markdown", "value": text}}


def _get(data: object, *keys: str) -> object:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _path(uri: str) -> str | None:
    """The file a `file:` URI names; None for other schemes (an unsaved buffer)."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    if os.name == "nt":
        # urllib.request knows drive letters and UNC shares; importing it costs 70 ms of
        # start-up (http.client, email), which POSIX paths do not need.
        from urllib.request import url2pathname

        return os.path.abspath(url2pathname(parsed.path))
    return os.path.abspath(unquote(parsed.path))


def _folders(params: dict) -> list[str]:
    folders = [_path(folder.get("uri", "")) for folder in params.get("workspaceFolders") or []]
    if not folders and params.get("rootUri"):
        folders = [_path(params["rootUri"])]
    if not folders and params.get("rootPath"):
        folders = [params["rootPath"]]
    return [folder for folder in folders if folder]


def _changed(text: str, change: dict, encoding: str) -> str:
    """The text after one content change: whole (what we ask for) or a range (what some
    clients send anyway)."""
    if "range" not in change:
        return change.get("text", "")
    from flowlint.source import Source

    source = Source.from_text("", text)
    start = offset(source, change["range"]["start"], encoding)
    end = offset(source, change["range"]["end"], encoding)
    return text[:start] + change.get("text", "") + text[end:]


def serve(reader: BinaryIO | None = None, writer: BinaryIO | None = None) -> int:
    """Serve until the client says `exit` or closes the stream; the exit code is the
    protocol's (0 after `shutdown`, 1 otherwise).

    On standard input and output (no arguments) the process ends here: the reader thread is
    blocked in a read of standard input, which the interpreter's shutdown would wait for.
    Anything else printed while serving (a stray print, a warning) goes to standard error,
    since on standard output it would break the protocol.
    """
    if reader is not None and writer is not None:
        return Server(reader, writer).run()
    out = sys.stdout.buffer
    sys.stdout = sys.stderr
    code = Server(sys.stdin.buffer, out).run()
    out.flush()
    sys.stderr.flush()
    os._exit(code)
