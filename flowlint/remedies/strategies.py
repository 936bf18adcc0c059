"""Choosing a remedy for the installs of one task: the strategy asked for, or `auto`.

`auto` is the native `dependencies` where they apply, else the cached WorkingDirectory; the
custom image and the process runner need a decision only the user can take (an image to build
and push, packages on the workers), so they run only when asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flowlint.facts.python_scripts import ScriptInstallSite
from flowlint.findings import Fix, FixRefused
from flowlint.kestra.task_shell import LocatedInstall
from flowlint.remedies import (
    custom_image,
    dependencies,
    process_runner,
    working_dir_cache,
)
from flowlint.remedies.fix_context import FixRequest, TaskFixContext

Strategy = Callable[[TaskFixContext], Fix]
STRATEGY_PLANS: dict[str, Strategy] = {
    dependencies.NAME: dependencies.plan,
    working_dir_cache.NAME: working_dir_cache.plan,
    custom_image.NAME: custom_image.plan,
    process_runner.NAME: process_runner.plan,
}
AUTO_ORDER = (dependencies.NAME, working_dir_cache.NAME)


def install_context(request: FixRequest, installs: Sequence[LocatedInstall] = (),
                    script_installs: Sequence[ScriptInstallSite] = ()) -> TaskFixContext:
    """What a strategy needs to move these installs of the request's task."""
    return TaskFixContext(request.facts, request.task, tuple(installs),
                          request.facts.runner(request.task), request.style, request.options,
                          request.rule, tuple(script_installs))


def plan_with_strategy(context: TaskFixContext) -> Fix:
    """The fix by the strategy the options name; for `auto`, the first that applies.

    Raises FixRefused naming the strategy (or every reason, for `auto`) when none applies.
    """
    strategy = context.options.strategy
    names = AUTO_ORDER if strategy == "auto" else (strategy,)
    reasons = []
    for name in names:
        try:
            planned = STRATEGY_PLANS[name](context)
        except FixRefused as refusal:
            reasons.append((name, str(refusal)))
            continue
        return planned._replace(strategy=name)
    if strategy != "auto":
        raise FixRefused(reasons[0][1], strategy)
    raise FixRefused("; ".join(f"{name}: {reason}" for name, reason in reasons), "auto")
