"""Mutation tests: every fixture, damaged in deterministic ways, through check and --fix.

Promises 1 to 3 of DESIGN.md on input nobody wrote on purpose: a finding or a clean error,
never an escaped exception; --fix never writes a file that does not parse, never touches a
file that did not parse, and a second --fix changes nothing.
"""

from __future__ import annotations

import codecs
import random
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import FIXTURES

from flowlint.catalogue import load_catalogue
from flowlint.cli import main
from flowlint.lint import Settings
from flowlint.remedies.fix_options import FixOptions
from flowlint.run.pipeline import Mode, process_file
from flowlint.source import Source, SourceError, decode

ALL_FIXTURES = sorted(FIXTURES.glob("*/*.yaml"))
# Inputs get every mutant through --fix; golden outputs (.fixed.) a rotating few.
FIXES_PER_INPUT = 4
FIXES_PER_GOLDEN = 1
STRATEGIES = ("auto", "working-dir-cache")
IMAGE = "reg/{flow}:1"


def mutants(data: bytes, rng: random.Random) -> Iterator[tuple[str, bytes]]:
    size = max(len(data), 1)
    for position in sorted(rng.randrange(size) for _ in range(5)):
        yield f"truncate@{position}", data[:position]
    for _ in range(5):
        if not data:
            break
        index, bit = rng.randrange(len(data)), rng.randrange(8)
        flipped = bytearray(data)
        flipped[index] ^= 1 << bit
        yield f"flip@{index}.{bit}", bytes(flipped)
    lines = data.splitlines(keepends=True)
    for _ in range(3):
        index = rng.randrange(len(lines) + 1)
        yield f"tab@line{index + 1}", b"".join(lines[:index] + [b"\t"] + lines[index:])
    yield "bom", codecs.BOM_UTF8 + data
    yield "crlf", data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    yield "doubled", data + b"\n---\n" + data
    for _ in range(3):
        if not lines:
            break
        index = rng.randrange(len(lines))
        yield f"delete-line{index + 1}", b"".join(lines[:index] + lines[index + 1:])


def parses(data: bytes) -> bool:
    """Decodes as flowlint reads files, and composes with ruamel.yaml (no flowlint code)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        text = decode(data, "mutant.yaml").text
    except SourceError:
        return False
    try:
        list(YAML(typ="safe").compose_all(text))
    except (YAMLError, RecursionError):
        return False
    return True


def assert_clean(text: str) -> None:
    assert "Traceback" not in text, text
    assert "internal error" not in text, text


SETTINGS = Settings(frozenset(load_catalogue()), (1, 0),
                    {code: dict(rule.parameters) for code, rule in load_catalogue().items()},
                    fix=FixOptions("auto", IMAGE))


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # Hundreds of throwaway writes: durability is write_atomic's test's business, not ours.
    monkeypatch.setattr("flowlint.run.atomic_write.os.fsync", lambda descriptor: None)


@pytest.mark.parametrize("fixture", ALL_FIXTURES,
                         ids=[f"{path.parent.name}/{path.name}" for path in ALL_FIXTURES])
def test_mutants_check_and_fix_cleanly(fixture: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    data = fixture.read_bytes()
    rng = random.Random(zlib.crc32(f"{fixture.parent.name}/{fixture.name}".encode()))
    generated = list(mutants(data, rng))
    path = tmp_path / "mutant.yaml"
    for name, mutant in generated:
        path.write_bytes(mutant)
        outcome = process_file(str(path), SETTINGS, Mode())
        result = outcome.result
        assert result.path == str(path)
        if result.error is not None:
            assert_clean(result.error)
            assert not result.findings, name
        else:
            assert isinstance(result.source, Source), name
        assert path.read_bytes() == mutant, f"{name}: check wrote the file"

    golden = ".fixed." in fixture.name
    count = FIXES_PER_GOLDEN if golden else FIXES_PER_INPUT
    chosen = rng.sample(generated, min(count, len(generated)))
    if not golden:
        chosen = [generated[len(generated) // 2]] + chosen  # stable coverage of every kind
    for index, (name, mutant) in enumerate(chosen):
        strategies = STRATEGIES if not golden else (STRATEGIES[index % 2],)
        for strategy in strategies:
            assert_fix_is_safe(path, name, mutant, strategy, capsys)


def assert_fix_is_safe(path: Path, name: str, mutant: bytes, strategy: str,
                       capsys: pytest.CaptureFixture[str]) -> None:
    path.write_bytes(mutant)
    args = ["check", "--fix", "--unsafe-fixes", "--strategy", strategy, "--image", IMAGE,
            str(path)]
    code = main(args)
    out, err = capsys.readouterr()
    assert_clean(out + err)
    assert code in (0, 1, 2), (name, strategy, code, err)
    after = path.read_bytes()
    if not parses(mutant):
        assert after == mutant, f"{name} ({strategy}): a file that does not parse was written"
        return
    if after == mutant:
        return
    assert parses(after), f"{name} ({strategy}): --fix wrote a file that does not parse"
    assert after.startswith(codecs.BOM_UTF8) == mutant.startswith(codecs.BOM_UTF8)
    if b"\r\n" in mutant and mutant.count(b"\n") == mutant.count(b"\r\n"):
        assert after.count(b"\n") == after.count(b"\r\n"), f"{name}: newline style changed"
    assert main(args) in (0, 1, 2)
    assert_clean("".join(capsys.readouterr()))
    assert path.read_bytes() == after, f"{name} ({strategy}): a second --fix changed the file"


def test_every_mutation_kind_is_generated() -> None:
    kinds = {name.split("@")[0].rstrip("0123456789").removesuffix("-line")
             for name, _ in mutants(b"a: 1\nb: 2\n", random.Random(0))}
    assert kinds == {"truncate", "flip", "tab", "bom", "crlf", "doubled", "delete"}
