"""What flowlint knows about Kestra types, runners and versions (docs/kestra.md)."""

from __future__ import annotations

from functools import lru_cache

from flowlint.records import NamedTuple

WORKING_DIRECTORY = "io.kestra.plugin.core.flow.WorkingDirectory"
DOCKER_RUNNER = "io.kestra.plugin.scripts.runner.docker.Docker"
PROCESS_RUNNER = "io.kestra.plugin.core.runner.Process"
LEGACY_SCRIPT_PREFIX = "io.kestra.core.tasks.scripts."
LEGACY_PYTHON = "io.kestra.core.tasks.scripts.Python"
LEGACY_BASH = "io.kestra.core.tasks.scripts.Bash"
LEGACY_NODE = "io.kestra.core.tasks.scripts.Node"
SCRIPTS_PREFIX = "io.kestra.plugin.scripts."

# Old names that Kestra resolves to current ones (0.17 renames); the legacy script tasks are
# not aliases: they are separate (deprecated) tasks with their own behaviour.
_ALIASES = {
    "io.kestra.core.tasks.flows.Worker": WORKING_DIRECTORY,
    "io.kestra.core.tasks.flows.Flow": "io.kestra.plugin.core.flow.Subflow",
    "io.kestra.core.tasks.log.Log": "io.kestra.plugin.core.log.Log",
    "io.kestra.plugin.scripts.runner.docker.DockerTaskRunner": DOCKER_RUNNER,
    "io.kestra.core.models.tasks.runners.types.ProcessTaskRunner": PROCESS_RUNNER,
    "io.kestra.plugin.core.runner.Process": PROCESS_RUNNER,
}
_FLOW_PACKAGE_OLD = "io.kestra.core.tasks.flows."
_FLOW_PACKAGE_NEW = "io.kestra.plugin.core.flow."
_CANONICAL_BY_LOWER = {name.lower(): target for name, target in _ALIASES.items()}
_KNOWN_NAMES = [WORKING_DIRECTORY, DOCKER_RUNNER, PROCESS_RUNNER, LEGACY_PYTHON, LEGACY_BASH,
                LEGACY_NODE]
_CANONICAL_BY_LOWER.update({name.lower(): name for name in _KNOWN_NAMES})

CONTAINER_RUNNERS = frozenset({
    "io.kestra.plugin.ee.kubernetes.runner.Kubernetes",
    "io.kestra.plugin.ee.aws.runner.Batch",
    "io.kestra.plugin.ee.gcp.runner.Batch",
    "io.kestra.plugin.ee.gcp.runner.CloudRun",
    "io.kestra.plugin.ee.azure.runner.Batch",
})
_CONTAINER_BY_LOWER = {name.lower(): name for name in CONTAINER_RUNNERS}


@lru_cache(maxsize=4096)
def canonical_type(raw: str) -> str:
    """The current name of a type, resolving aliases case-insensitively."""
    lower = raw.strip().lower()
    if lower in _CANONICAL_BY_LOWER:
        return _CANONICAL_BY_LOWER[lower]
    if lower in _CONTAINER_BY_LOWER:
        return _CONTAINER_BY_LOWER[lower]
    if lower.startswith(_FLOW_PACKAGE_OLD):
        return _FLOW_PACKAGE_NEW + raw.strip()[len(_FLOW_PACKAGE_OLD):]
    if lower.startswith(LEGACY_SCRIPT_PREFIX):
        return LEGACY_SCRIPT_PREFIX + raw.strip()[len(LEGACY_SCRIPT_PREFIX):].capitalize()
    return raw.strip()


def is_legacy_script(task_type: str) -> bool:
    return task_type.startswith(LEGACY_SCRIPT_PREFIX)


class ScriptKind(NamedTuple):
    """A script task's language and shape: Script (one `script`) or Commands (a list)."""

    language: str   # python, shell, node, ... ; 'legacy-python' style names for legacy tasks
    shape: str      # 'script', 'commands', 'legacy'
    trigger: bool


# Tasks of other plugins built on plugin-scripts' AbstractExecScript: `beforeCommands` and
# `commands` run by /bin/sh in a container of the task runner, as a Commands task's
# (kestra-io/plugin-dbt, DbtCLI; docs/kestra.md §1).
DBT_CLI = "io.kestra.plugin.dbt.cli.DbtCLI"
_EXEC_SCRIPT_TASKS = {DBT_CLI: ScriptKind("dbt", "commands", False)}


@lru_cache(maxsize=1024)
def script_kind(task_type: str) -> ScriptKind | None:
    if task_type in _EXEC_SCRIPT_TASKS:
        return _EXEC_SCRIPT_TASKS[task_type]
    if is_legacy_script(task_type):
        name = task_type[len(LEGACY_SCRIPT_PREFIX):].lower()
        language = {"bash": "shell", "python": "python", "node": "node"}.get(name, name)
        return ScriptKind(language, "legacy", False)
    if not task_type.startswith(SCRIPTS_PREFIX):
        return None
    parts = task_type[len(SCRIPTS_PREFIX):].split(".")
    if len(parts) != 2:
        return None
    language, name = parts[0].lower(), parts[1]
    shapes = {"Script": ("script", False), "Commands": ("commands", False),
              "ScriptTrigger": ("script", True), "CommandsTrigger": ("commands", True)}
    if name not in shapes:
        return None
    shape, trigger = shapes[name]
    return ScriptKind(language, shape, trigger)


def runner_of_type(runner_type: str) -> str:
    """docker, process, container or unknown for a taskRunner type."""
    canonical = canonical_type(runner_type)
    if canonical == DOCKER_RUNNER:
        return "docker"
    if canonical == PROCESS_RUNNER:
        return "process"
    if canonical in CONTAINER_RUNNERS:
        return "container"
    return "unknown"


def runner_of_enum(value: str) -> str:
    """docker, process or unknown for the old `runner: DOCKER|PROCESS` property."""
    return {"DOCKER": "docker", "PROCESS": "process"}.get(value.strip().upper(), "unknown")


RUNNER_LABELS = {
    "docker": "Docker runner",
    "process": "Process runner",
    "container": "container runner",
    "unknown": "unknown runner",
}


def parse_version(text: str) -> tuple[int, int]:
    """'0.18' or '1.0' -> (0, 18); ValueError for anything else."""
    major, _, minor = text.strip().partition(".")
    return int(major), int(minor or 0)
