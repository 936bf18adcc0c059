"""Shared test helpers: fixture discovery and expected-finding markers."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
_INLINE = re.compile(r"#\s*expect:\s*(FL\d{3}(?:\s*,\s*FL\d{3})*)")
_BY_LINE = re.compile(r"#\s*expect-line\s+(\d+):\s*(FL\d{3}(?:\s*,\s*FL\d{3})*)")
CORE_RULES = ("FL000", "FL001", "FL002", "FL004")


def fixture_files(pattern: str) -> list[Path]:
    return sorted(path for path in FIXTURES.glob(f"*/{pattern}") if ".fixed." not in path.name)


def expected_markers(text: str) -> set[tuple[int, str]]:
    """(line, code) pairs from `# expect: FL001` and `# expect-line 7: FL000` comments."""
    expected: set[tuple[int, str]] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _BY_LINE.finditer(line):
            expected.update((int(match.group(1)), code.strip())
                            for code in match.group(2).split(","))
        cleaned = _BY_LINE.sub("", line)
        for match in _INLINE.finditer(cleaned):
            expected.update((number, code.strip()) for code in match.group(1).split(","))
    return expected


def fixture_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"
