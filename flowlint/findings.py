"""The shapes every part of flowlint passes around: spans, edits, fixes, findings, and the
refusal a fix raises when it cannot be written safely."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from flowlint.records import NamedTuple, Record


class Span(NamedTuple):
    """Character offsets into Source.text, end exclusive."""

    start: int
    end: int


class Edit(NamedTuple):
    start: int
    end: int
    text: str


class Fix(NamedTuple):
    title: str
    edits: tuple[Edit, ...]
    safe: bool
    strategy: str = ""
    scope: frozenset[str] = frozenset()   # ids of the tasks the edits rewrite
    # Where the fixed task runs: None where it ran, WORKER, or the image the fix sets; and the
    # distributions the fix moves there (the image is built with them, the worker gets them).
    runs_in: str | None = None
    provides: frozenset[str] = frozenset()


WORKER = "the worker"   # Fix.runs_in of a fix that moves a task to the Process runner


class FixOutcome(NamedTuple):
    """What the fixer can do for a finding: a fix, or the reason there is none."""

    strategy: str
    title: str
    safe: bool
    applicable: bool
    reason: str = ""


class Finding(Record):
    """A problem a rule found: where (`span`, `task_id`, `yaml_path`, `document`), what
    (`message`), what to do (`help`), and the fix planned for it, if any."""

    __slots__ = ("rule", "span", "message", "task_id", "yaml_path", "fix", "fix_outcome",
                 "document", "help", "detail")
    _fields = __slots__
    _compared = _fields[:-1]   # not the detail: it holds nodes, and may not be hashable

    def __init__(self, rule: str, span: Span, message: str, task_id: str | None = None,
                 yaml_path: str | None = None, fix: Fix | None = None,
                 fix_outcome: FixOutcome | None = None, document: int | None = None,
                 help: str | None = None, detail: object = None) -> None:
        self.rule = rule
        self.span = span
        self.message = message
        self.task_id = task_id
        self.yaml_path = yaml_path
        self.fix = fix
        self.fix_outcome = fix_outcome
        # The YAML document of the flow it is about (a file may hold several).
        self.document = document
        # What to do about it, shown on its own line: `message` says only what is wrong.
        self.help = help
        # What the check judged (installs, spans, the task), typed by each rule; the rule's
        # fix reads it instead of finding the problem again.
        self.detail = detail

    def __repr__(self) -> str:   # without the detail, a tree of nodes
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._compared)
        return f"Finding({shown})"

    @property
    def message_and_help(self) -> str:
        """For formats with one text field: what is wrong, then what to do."""
        return self.message if not self.help else f"{self.message}\nhelp: {self.help}"


def shorten(text: str, limit: int = 60) -> str:
    """`text` on one line and at most `limit` characters, for quoting a command in a message:
    runs of blanks become one space, and a cut ends with '...'."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:max(0, limit - 3)].rstrip() + "..."


def listed(names: Sequence[str], limit: int = 10) -> str:
    """`names` joined with commas, at most `limit` of them and a count of the rest: a fix
    title is repeated on each finding of its task, so it must not grow with the task."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit} more"


def apply_edits(text: str, edits: Iterable[Edit]) -> str | None:
    """The text with edits applied; None when two edits overlap.

    Insertions at the same offset are kept in the order the fix listed them.
    """
    ordered = sorted(edits, key=lambda edit: (edit.start, edit.end))
    for first, second in zip(ordered, ordered[1:]):
        if second.start < first.end:
            return None
    for edit in reversed(ordered):
        text = text[:edit.start] + edit.text + text[edit.end:]
    return text


class FixRefused(Exception):
    """The fix cannot be written safely here; the message is the reason users see, and
    `strategy` the remedy that refused, when the rule has several."""

    def __init__(self, reason: str, strategy: str = "") -> None:
        super().__init__(reason)
        self.strategy = strategy


def require(condition: bool, reason: str) -> None:
    """Refuse the fix with `reason` (what users read) unless `condition` holds."""
    if not condition:
        raise FixRefused(reason)
