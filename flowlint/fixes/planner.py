"""Choosing a strategy for each flagged task and attaching the fix to its findings."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from flowlint.caching import is_cached
from flowlint.commands import task_installs
from flowlint.findings import Finding, Fix, FixOutcome
from flowlint.fixes import (
    custom_image,
    dependencies,
    fragile_venv_cache,
    image_pulled_every_run,
    package_install_per_execution,
    process_runner,
    uncached_working_directory,
    working_dir_cache,
)
from flowlint.fixes.plan import FixOptions, PlannedFix, TaskFixContext
from flowlint.fixes.yamltext import FixRefused, detect_style
from flowlint.model import Flow, Task, effective_runner

Strategy = Callable[[TaskFixContext], PlannedFix]
STRATEGY_PLANS: dict[str, Strategy] = {
    dependencies.NAME: dependencies.plan,
    working_dir_cache.NAME: working_dir_cache.plan,
    custom_image.NAME: custom_image.plan,
    process_runner.NAME: process_runner.plan,
}
# The default: native dependencies where they apply, else the cached WorkingDirectory.
AUTO_ORDER = (dependencies.NAME, working_dir_cache.NAME)
# Rules with one fix of their own: module with NAME and plan(flow, task, options).
RULE_FIXES = {
    "FL005": uncached_working_directory,
    "FL006": fragile_venv_cache,
    "FL008": image_pulled_every_run,
    "FL009": package_install_per_execution,
}
# FL003: install calls in Python scripts, fixed with the strategies as FL001 is.
SCRIPT_RULE = "FL003"
FIXABLE_RULES = frozenset({"FL001", "FL002", SCRIPT_RULE, *RULE_FIXES})


def attach_fixes(flow: Flow, findings: list[Finding], options: FixOptions) -> list[Finding]:
    """The findings with `fix` and `fix_outcome` filled for the fixable ones."""
    outcomes: dict[tuple[str, str], tuple[Fix | None, FixOutcome]] = {}
    tasks = {task.id: task for task in flow.tasks}
    attached = []
    for finding in findings:
        task = tasks.get(finding.task_id or "")
        if finding.rule not in FIXABLE_RULES or task is None:
            attached.append(finding)
            continue
        key = (finding.rule, task.id)
        if key not in outcomes:
            flagged = frozenset((other.span.start, other.span.end) for other in findings
                                if other.rule == finding.rule and other.task_id == task.id)
            outcomes[key] = plan_for_task(flow, task, finding.rule, options, flagged)
        fix, outcome = outcomes[key]
        attached.append(dataclasses.replace(finding, fix=fix, fix_outcome=outcome))
    return attached


def plan_for_task(flow: Flow, task: Task, rule: str, options: FixOptions,
                  flagged: frozenset[tuple[int, int]] | None = None
                  ) -> tuple[Fix | None, FixOutcome]:
    """`flagged`: spans of the rule's findings on the task (None: every install)."""
    if rule == "FL002":
        from flowlint.fixes import legacy_migration

        return _outcome(legacy_migration.NAME, lambda: legacy_migration.plan(flow, task, options))
    if rule in RULE_FIXES:
        module = RULE_FIXES[rule]
        return _outcome(module.NAME, lambda: module.plan(flow, task, options))
    context = _context(flow, task, rule, options, flagged)
    if options.strategy != "auto":
        plan = STRATEGY_PLANS[options.strategy]
        return _outcome(options.strategy, lambda: plan(context))
    reasons = []
    for name in AUTO_ORDER:
        fix, outcome = _outcome(name, lambda: STRATEGY_PLANS[name](context))
        if fix is not None:
            return fix, outcome
        reasons.append(f"{name}: {outcome.reason}")
    return None, FixOutcome("auto", "", False, False, "; ".join(reasons))


def _context(flow: Flow, task: Task, rule: str, options: FixOptions,
             flagged: frozenset[tuple[int, int]] | None) -> TaskFixContext:
    runner = effective_runner(task, flow.target_version)
    style = detect_style(flow.source, flow.root)
    if rule == SCRIPT_RULE:
        from flowlint.fixes.script_installs import script_installs

        return TaskFixContext(flow, task, (), runner, style, options, rule,
                              script_installs(flow, task, flagged))
    installs = tuple(located for located in task_installs(flow.source, task)
                     if located.install.ecosystem == "python"
                     and not is_cached(located, task))
    return TaskFixContext(flow, task, installs, runner, style, options, rule)


def _outcome(name: str, plan: Callable[[], PlannedFix]) -> tuple[Fix | None, FixOutcome]:
    try:
        planned = plan()
    except FixRefused as refusal:
        return None, FixOutcome(name, "", False, False, str(refusal))
    fix = Fix(planned.title, planned.edits, planned.safe, name, planned.scope)
    return fix, FixOutcome(name, planned.title, planned.safe, True)
