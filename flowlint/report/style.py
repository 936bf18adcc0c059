"""Colour and terminal hyperlinks for the text formats: on for a terminal, off when piped,
as NO_COLOR (https://no-color.org) and FORCE_COLOR ask, or as --color says."""

from __future__ import annotations

import os
from collections.abc import Mapping

from flowlint.records import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from typing import TextIO

# Each rule's documentation is its catalogue file (`flowlint rule CODE` prints the same).
RULE_DOCS = "https://github.com/flowlint/flowlint/blob/main/rules/{code}.yaml"
_SEVERITY_COLOURS = {"error": "31", "warning": "33", "info": "36"}   # red, yellow, cyan
# Terminals known to show OSC 8 hyperlinks; any other shows the text alone, which is safe, but
# some old ones print the escape itself, so links stay off unless the terminal is known.
_LINKING_PROGRAMS = frozenset({"iTerm.app", "WezTerm", "vscode", "Hyper", "ghostty",
                               "terminology", "Tabby"})


class Style(NamedTuple):
    colour: bool = False
    links: bool = False

    def paint(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour and text else text

    def bold(self, text: str) -> str:
        return self.paint(text, "1")

    def severity(self, text: str, severity: str) -> str:
        return self.paint(text, "1;" + _SEVERITY_COLOURS.get(severity, "31"))

    def dim(self, text: str) -> str:
        return self.paint(text, "34")   # the gutter, blue as in ruff

    def help(self, text: str) -> str:
        return self.paint(text, "1;36")

    def rule_code(self, code: str, name: str, severity: str) -> str:
        """The code in its severity's colour, a link to the rule's page where shown."""
        painted = self.severity(code, severity)
        if not self.links or not name:
            return painted
        url = RULE_DOCS.format(code=code)
        return f"\x1b]8;;{url}\x1b\\{painted}\x1b]8;;\x1b\\"


PLAIN = Style()


def choose_style(choice: str, stream: TextIO, environ: Mapping[str, str] = os.environ
                 ) -> Style:
    """`choice` is auto, always or never; auto follows NO_COLOR, FORCE_COLOR and whether the
    stream is a terminal (TERM=dumb is not one that shows colour)."""
    if choice == "never":
        return PLAIN
    if choice == "auto":
        if environ.get("NO_COLOR"):
            return PLAIN
        forced = environ.get("FORCE_COLOR", "")
        if not forced or forced == "0":
            if not _is_terminal(stream) or environ.get("TERM") == "dumb":
                return PLAIN
    return Style(colour=True, links=_shows_links(environ) and _is_terminal(stream))


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):   # closed or replaced streams
        return False


def _shows_links(environ: Mapping[str, str]) -> bool:
    if environ.get("FORCE_HYPERLINK"):
        return environ["FORCE_HYPERLINK"] != "0"
    if environ.get("TERM_PROGRAM") in _LINKING_PROGRAMS or environ.get("WT_SESSION"):
        return True
    if environ.get("TERM") in ("xterm-kitty", "alacritty", "foot", "wezterm"):
        return True
    vte = environ.get("VTE_VERSION", "")
    return vte.isdigit() and int(vte) >= 5000
