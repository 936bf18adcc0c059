"""Whether a fixed task still runs: the same programs resolve, the same imports find their
packages, and it runs in the image the fix meant (the model is flowlint.facts.task_run)."""

from __future__ import annotations

from flowlint.facts.flow_facts import FlowFacts
from flowlint.facts.task_run import lost_since, task_run
from flowlint.findings import WORKER, Fix
from flowlint.kestra.flow import Task
from flowlint.lang import distributions
from flowlint.lint import CheckedSource


def still_runs(before: CheckedSource, after: CheckedSource, fix: Fix,
               document: int | None) -> str | None:
    """None when every task the fix rewrote runs as before; else why one does not."""
    for task_id in sorted(fix.scope):
        old, new = _task(before, document, task_id), _task(after, document, task_id)
        if old is None or new is None:
            continue   # a wrapper the fix added, or a task of another flow
        (old_facts, old_task), (new_facts, new_task) = old, new
        old_run = task_run(old_facts, old_task)
        new_run = task_run(new_facts, new_task, fix.provides | _carried(old_run.image, fix))
        meant = old_run.image if fix.runs_in is None else \
            None if fix.runs_in == WORKER else fix.runs_in
        if new_run.image != meant:
            return (f"after the fix, '{task_id}' would run in "
                    f"{_where(new_run.image)}, not in {_where(meant)}")
        lost = lost_since(old_run, new_run)
        if lost:
            return f"after the fix, in '{task_id}', {lost[0]}"
    return None


def _carried(image: str | None, fix: Fix) -> frozenset[str]:
    """What the task's new home holds besides what the fix moves there: an image built by
    `flowlint image` starts FROM the one the task ran in; a worker runs a Python with pip."""
    if fix.runs_in == WORKER:
        return distributions.fresh_virtualenv()
    if fix.runs_in is not None and image is not None:
        return distributions.image_distributions(image) or frozenset()
    return frozenset()


def _task(checked: CheckedSource, document: int | None,
          task_id: str) -> tuple[FlowFacts, Task] | None:
    for facts, _ in checked.flows:
        if document is not None and facts.flow.document_index != document:
            continue
        for task in facts.tasks:
            if task.id == task_id:
                return facts, task
    return None


def _where(image: str | None) -> str:
    return f"image '{image}'" if image else WORKER
