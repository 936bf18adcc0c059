"""Latency of `flowlint server` on a 300-line flow.

    python benchmarks/lsp_latency.py [--starts 10] [--edits 50]

Prints the minimum, median and maximum of:
- first diagnostics: from starting `python -m flowlint server` to the publishDiagnostics of
  the flow opened right after `initialize` (target: under 500 ms);
- warm diagnostics in-process: one check of the edited text and its diagnostics, as the server
  runs it after the debounce (target: under 30 ms at the median);
- warm diagnostics through the protocol: didChange then a textDocument/diagnostic pull (no
  debounce on a pull), measured by the client;
- a code action request at the finding (fixes planned and verified) and fix-all.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import make_flow  # noqa: E402

from flowlint.lsp.diagnostics import check_text, to_diagnostics  # noqa: E402
from flowlint.lsp.workspace_config import WorkspaceConfig  # noqa: E402

LINES = 300


def flow_with_findings() -> str:
    """A generated flow of about 300 lines that has findings (the generator's seed 1)."""
    config = WorkspaceConfig()
    for index in range(200):
        text = make_flow(1, index, lines=LINES).text
        settings = config.settings_for("/tmp/flow.yaml")
        if check_text("/tmp/flow.yaml", text, settings).findings:
            return text
    raise SystemExit("no generated flow with findings")


class Client:
    """Just enough of an LSP client to time the server: framing and waiting for replies."""

    def __init__(self, folder: Path) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "flowlint", "server"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        cwd=folder)
        self.next_id = 0

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.process.stdin.flush()

    def request(self, method: str, params: object) -> object:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        return self.wait(lambda message: message.get("id") == self.next_id)["result"]

    def wait(self, wanted) -> dict:
        while True:
            length = 0
            while (line := self.process.stdout.readline().strip()):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            message = json.loads(self.process.stdout.read(length))
            if wanted(message):
                return message

    def close(self) -> None:
        self.request("shutdown", None)
        self.send({"method": "exit"})
        self.process.wait(timeout=10)


def first_diagnostics(folder: Path, uri: str, text: str) -> float:
    started = time.perf_counter()
    client = Client(folder)
    client.send({"id": 0, "method": "initialize", "params": {
        "capabilities": {}, "rootUri": folder.as_uri()}})
    client.send({"method": "initialized", "params": {}})
    client.send({"method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "yaml", "version": 1, "text": text}}})
    client.wait(lambda message: message.get("method") == "textDocument/publishDiagnostics")
    elapsed = time.perf_counter() - started
    client.close()
    return elapsed


def warm_in_process(text: str, edits: int) -> list[float]:
    config = WorkspaceConfig()
    path = "/tmp/flow.yaml"
    timings = []
    for edit in range(edits + 3):
        edited = text + f"# edit {edit}\n"   # a new text each time, as typing makes
        started = time.perf_counter()
        settings = config.settings_for(path)
        to_diagnostics(check_text(path, edited, settings), config.catalogue, "utf-16")
        timings.append(time.perf_counter() - started)
    return timings[3:]


def warm_through_protocol(folder: Path, uri: str, text: str, edits: int
                          ) -> tuple[list[float], float, float]:
    client = Client(folder)
    client.request("initialize", {"capabilities": {"textDocument": {"diagnostic": {}}},
                                  "rootUri": folder.as_uri()})
    client.send({"method": "initialized", "params": {}})
    client.send({"method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "yaml", "version": 1, "text": text}}})
    document = {"textDocument": {"uri": uri}}
    report = client.request("textDocument/diagnostic", document)
    timings = []
    for edit in range(edits + 3):
        started = time.perf_counter()
        client.send({"method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": edit + 2},
            "contentChanges": [{"text": text + f"# edit {edit}\n"}]}})
        client.request("textDocument/diagnostic", document)
        timings.append(time.perf_counter() - started)
    at = report["items"][0]["range"]
    started = time.perf_counter()
    client.request("textDocument/codeAction", {**document, "range": at,
                                               "context": {"diagnostics": [],
                                                           "only": ["quickfix"]}})
    quick = time.perf_counter() - started
    started = time.perf_counter()
    client.request("textDocument/codeAction", {**document, "range": at, "context": {
        "diagnostics": [], "only": ["source.fixAll.flowlint"]}})
    fix_all = time.perf_counter() - started
    client.close()
    return timings[3:], quick, fix_all


def line(name: str, seconds: list[float]) -> str:
    ms = sorted(value * 1000 for value in seconds)
    return (f"{name:<44} min {ms[0]:7.1f}  median {statistics.median(ms):7.1f}  "
            f"max {ms[-1]:7.1f} ms  (n={len(ms)})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--edits", type=int, default=50)
    options = parser.parse_args(argv)
    text = flow_with_findings()
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        uri = (folder / "flow.yaml").as_uri()
        print(f"flow: {text.count(chr(10))} lines, {len(text):,} characters")
        starts = [first_diagnostics(folder, uri, text) for _ in range(options.starts)]
        print(line("first diagnostics after start (process)", starts))
        print(line("warm diagnostics, in-process", warm_in_process(text, options.edits)))
        protocol, quick, fix_all = warm_through_protocol(folder, uri, text, options.edits)
        print(line("warm didChange + pull diagnostics (protocol)", protocol))
        print(line("code action: quick fixes at the finding", [quick]))
        print(line("code action: fix all", [fix_all]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
