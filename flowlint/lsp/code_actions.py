"""Code actions: each finding's fix (verified as `--fix` verifies it), the reason a fix was
refused, a suppression comment, and `source.fixAll.flowlint` (the fix loop of `--fix`)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator

from flowlint.findings import Edit, Finding
from flowlint.lint import CheckedSource, Settings, check_flows, check_source
from flowlint.lsp.positions import lsp_range
from flowlint.records import NamedTuple
from flowlint.source import Source

QUICKFIX = "quickfix"
FIX_ALL = "source.fixAll.flowlint"
FIX_ALL_TITLE = "Fix all safe flowlint findings"
_IGNORE_COMMENT = re.compile(r"#[ \t]*flowlint[ \t]*:[ \t]*ignore[ \t]*\[(?P<codes>[^\]\n]*)\]")


class ActionContext(NamedTuple):
    """What every action of one request is built with."""

    uri: str
    version: int | None
    encoding: str
    disabled_support: bool          # the client shows disabled actions (with their reason)
    versioned_edits: bool           # the client takes documentChanges with a version
    diagnostic: Callable[[Finding, Source], dict]   # the diagnostic an action resolves


def wants(kind: str, only: list[str] | None) -> bool:
    """Whether `kind` is asked for: `only` lists kinds or their parents (`source.fixAll`)."""
    return only is None or any(kind == wanted or kind.startswith(wanted + ".")
                               for wanted in only)


def finding_actions(source: Source, settings: Settings, start: int, end: int,
                    context: ActionContext) -> list[dict]:
    """Quick fixes, refusals and suppressions for the findings touching [start, end]."""
    current = check_flows(source, settings)   # plans the fixes: loads the fixing code
    actions: list[dict] = []
    seen: set[tuple] = set()
    for finding in current.result.findings:
        key = (finding.rule, finding.task_id, finding.document)
        if key in seen or not (finding.span.start <= end and start <= finding.span.end):
            continue
        seen.add(key)
        fix_action = _fix_action(current, finding, settings, context)
        if fix_action is not None:
            actions.append(fix_action)
        suppress = _suppress_action(current, finding, settings, context)
        if suppress is not None:
            actions.append(suppress)
    return actions


def _fix_action(current: CheckedSource, finding: Finding, settings: Settings,
                context: ActionContext) -> dict | None:
    # The fix loop's own check of one fix: parses, tasks kept, data outside the task
    # unchanged, still runs, finding gone. Private there; called, not copied.
    from flowlint.run.fix_loop import try_fix

    source = current.result.source
    fix, outcome = finding.fix, finding.fix_outcome
    if fix is None:
        if outcome is None or not outcome.reason or not context.disabled_support:
            return None
        title = f"Fix {finding.rule}" + (f" ({outcome.strategy})" if outcome.strategy else "")
        return _disabled(title, outcome.reason, finding, source, context)
    title = fix.title if fix.safe else f"{fix.title} (unsafe fix)"
    verified = try_fix(current, finding, settings)
    if isinstance(verified, str):
        if not context.disabled_support:
            return None
        return _disabled(title, f"the fix failed verification: {verified}", finding, source,
                         context)
    return {"title": title, "kind": QUICKFIX, "isPreferred": fix.safe,
            "diagnostics": [context.diagnostic(finding, source)],
            "edit": workspace_edit(source, fix.edits, context)}


def _disabled(title: str, reason: str, finding: Finding, source: Source,
              context: ActionContext) -> dict:
    return {"title": title, "kind": QUICKFIX, "disabled": {"reason": reason},
            "diagnostics": [context.diagnostic(finding, source)]}


def _suppress_action(current: CheckedSource, finding: Finding, settings: Settings,
                     context: ActionContext) -> dict | None:
    """`# flowlint: ignore[FL001]` at the end of a line of the task (inside the task, so it
    covers the task's findings of that rule): its first line, else the line of its `id`
    (the first line may end inside a multi-line plain scalar, where a comment would end the
    scalar and break the YAML). Offered only where it suppresses the task's findings of that
    rule and changes no other finding."""
    source = current.result.source
    for edit in suppression_edits(current, finding):
        suppressed = check_source(Source.from_text(source.path, _applied(source.text, edit),
                                                   source.bom),
                                  settings._replace(fix=None))
        if _only_suppressed(current.result.findings, suppressed.findings, finding):
            return {"title": f"Suppress {finding.rule} for task '{finding.task_id}'",
                    "kind": QUICKFIX, "diagnostics": [context.diagnostic(finding, source)],
                    "edit": workspace_edit(source, (edit,), context)}
    return None


def _only_suppressed(before: list[Finding], after: list[Finding], finding: Finding) -> bool:
    """Whether `after` is `before` without the task's findings of the finding's rule: none
    left, and none other gained or lost (such as FL000 for a comment that broke the YAML)."""
    def rest(findings: list[Finding]) -> Counter:
        return Counter((other.rule, other.task_id, other.document, other.message)
                       for other in findings
                       if (other.rule, other.task_id) != (finding.rule, finding.task_id))

    gone = not any((other.rule, other.task_id) == (finding.rule, finding.task_id)
                   for other in after)
    return gone and rest(before) == rest(after)


def suppression_edits(current: CheckedSource, finding: Finding) -> Iterator[Edit]:
    """The comment (or the code added to an ignore comment already there) at the end of
    the task's first line, then at the end of its `id` line."""
    if finding.task_id is None:
        return
    source = current.result.source
    task = next((task for facts, _ in current.flows if facts.flow.document_index ==
                 finding.document for task in facts.tasks if task.id == finding.task_id), None)
    if task is None:
        return
    lines = [source.position(task.span.start)[0]]
    id_value = next((value for key, value in task.node.value if key.value == "id"), None)
    if id_value is not None and id_value.end_mark.line + 1 not in lines:
        lines.append(id_value.end_mark.line + 1)
    for line1 in lines:
        yield _line_suppression(source, line1, finding.rule)


def _line_suppression(source: Source, line1: int, rule: str) -> Edit:
    line_start = source.line_starts[line1 - 1]
    line_end = line_start + len(source.line_text(line1))
    existing = _IGNORE_COMMENT.search(source.text, line_start, line_end)
    if existing is not None:
        codes = existing.group("codes").strip()
        at = existing.end("codes")
        return Edit(at, at, f", {rule}" if codes else rule)
    return Edit(line_end, line_end, f"  # flowlint: ignore[{rule}]")


def _applied(text: str, edit: Edit) -> str:
    return text[:edit.start] + edit.text + text[edit.end:]


def fix_all_action(path: str, source: Source, settings: Settings,
                   context: ActionContext) -> dict | None:
    """The safe fixes of the document, applied, verified and re-checked by the loop of
    `flowlint check --fix` (run as in editor mode: nothing is written to disk)."""
    from flowlint.run.pipeline import Mode, process_file

    outcome = process_file(path, settings, Mode(fix=True, write=False),
                           source.encode(source.text))
    if outcome.fixed_text is None or outcome.fixed_text == source.text:
        return None
    return {"title": FIX_ALL_TITLE, "kind": FIX_ALL,
            "edit": workspace_edit(source, (whole_text_edit(source.text, outcome.fixed_text),),
                                   context)}


def lazy_fix_all(uri: str, version: int | None) -> dict:
    """The fix-all action without its edit, which `codeAction/resolve` makes."""
    return {"title": FIX_ALL_TITLE, "kind": FIX_ALL, "data": {"uri": uri, "version": version}}


def whole_text_edit(before: str, after: str) -> Edit:
    """One edit from `before` to `after` covering only what differs, so the editor keeps
    the cursor, folds and marks outside it."""
    prefix = _common_length(before, after, lambda size: before[:size] == after[:size])
    rest = min(len(before), len(after)) - prefix
    suffix = _common_length(before, after, lambda size: before[len(before) - size:] ==
                            after[len(after) - size:], rest)
    return Edit(prefix, len(before) - suffix, after[prefix:len(after) - suffix])


def _common_length(before: str, after: str, equal: Callable[[int], bool],
                   limit: int | None = None) -> int:
    """The largest size for which `equal(size)` holds, by bisection: slices compare in C, a
    character loop over a 5 MB document would take a second."""
    low, high = 0, min(len(before), len(after)) if limit is None else limit
    while low < high:
        middle = (low + high + 1) // 2
        if equal(middle):
            low = middle
        else:
            high = middle - 1
    return low


def text_edits(source: Source, edits: tuple[Edit, ...], encoding: str) -> Iterator[dict]:
    for edit in sorted(edits, key=lambda edit: (edit.start, edit.end)):
        yield {"range": lsp_range(source, edit.start, edit.end, encoding), "newText": edit.text}


def workspace_edit(source: Source, edits: tuple[Edit, ...], context: ActionContext) -> dict:
    changes = list(text_edits(source, edits, context.encoding))
    if context.versioned_edits:
        # With the version, an editor refuses the edit if the buffer changed meanwhile.
        return {"documentChanges": [{"textDocument": {"uri": context.uri,
                                                      "version": context.version},
                                     "edits": changes}]}
    return {"changes": {context.uri: changes}}
