"""FL900: a suppression comment that suppresses nothing, or one that is malformed.

flowlint.suppressions finds the comments and applies them; the ones left unused come here. The
fix removes the comment (its whole line when it stands alone), or only its unused codes.
"""

from __future__ import annotations

from collections.abc import Iterable

from flowlint.findings import Edit, Finding, Fix, FixOutcome, Span
from flowlint.records import TYPE_CHECKING

# The suppression parser loads with the first file that has a `flowlint:` comment.
if TYPE_CHECKING:
    from flowlint.suppressions import Suppression

CODE = "FL900"
NAME = "unused-suppression"
# The fix is known the moment the finding is: it comes with it, not from a planning step.
FIX_WITH_FINDING = True
FIX_TITLE = "remove unused suppression"
FIX_STRATEGY = "edit-comment"   # the name reports give the fix (flow fixes name a remedy)


def findings(unused: Iterable[Suppression], text: str) -> list[Finding]:
    """Findings for unused and malformed suppressions; unused ones come with their fix."""
    from flowlint.suppressions import code_list_brackets, directive_start

    found = []
    for suppression in unused:
        if suppression.problem:
            found.append(Finding(CODE, suppression.span,
                                 f"malformed suppression: {suppression.problem}"))
            continue
        comment = text[suppression.span.start:suppression.span.end]
        brackets = code_list_brackets(comment)
        assert brackets is not None  # a well-formed suppression has its code list
        written = comment[directive_start(comment):brackets[1] + 1]
        message = f"unused suppression: '{written}' suppresses nothing"
        if suppression.in_script:
            # The comment is the script's text: removing it edits a task, which a fix with no
            # task in its scope may not do (the verifier refuses it), so it is said, not fixed.
            found.append(Finding(CODE, suppression.span, message,
                                 help="remove the comment from the script"))
            continue
        if suppression.unused_codes == suppression.codes:
            fix = Fix(FIX_TITLE, (_removal(text, suppression.span),), safe=True)
            remedy = "remove the comment"
        else:
            idle = ", ".join(sorted(suppression.unused_codes))
            message += f" for {idle}"
            fix = Fix(f"remove unused {idle} from suppression",
                      (_without_codes(comment, suppression, brackets),), safe=True)
            remedy = f"remove {idle} from the comment"
        outcome = FixOutcome(FIX_STRATEGY, fix.title, safe=True, applicable=True)
        found.append(Finding(CODE, suppression.span, message, fix=fix, fix_outcome=outcome,
                             help=remedy))
    return found


def _removal(text: str, span: Span) -> Edit:
    """Delete the comment: its whole line when it is alone on it, else it and the blanks
    before it. Line endings are never rewritten, so CRLF files stay CRLF."""
    line_start = text.rfind("\n", 0, span.start) + 1
    newline = text.find("\n", span.end)
    line_end = len(text) if newline < 0 else newline
    if text[line_start:span.start].strip(" \t"):
        kept_prefix = text[line_start:span.start].rstrip(" \t")
        content_end = line_end - 1 if text[line_end - 1:line_end] == "\r" else line_end
        return Edit(line_start + len(kept_prefix), content_end, "")
    if newline >= 0:
        return Edit(line_start, newline + 1, "")
    # The last line, with no newline after it: take the newline before it, so the file
    # still ends without one.
    start = line_start
    if start > 0:
        start -= 2 if text[start - 2:start] == "\r\n" else 1
    return Edit(start, len(text), "")


def _without_codes(comment: str, suppression: Suppression, brackets: tuple[int, int]) -> Edit:
    from flowlint.suppressions import split_codes

    opening, closing = brackets
    inner = comment[opening + 1:closing]
    kept = [token for token in split_codes(inner)
            if token and token.upper() not in suppression.unused_codes]
    separator = (", " if ", " in inner else ",") if "," in inner else " "
    start = suppression.span.start
    return Edit(start + opening + 1, start + closing, separator.join(kept))
