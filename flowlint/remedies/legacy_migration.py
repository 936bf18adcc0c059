"""FL002: migrate a legacy `io.kestra.core.tasks.scripts.Python` task to python.Commands.

The legacy task built a virtualenv and pip-installed `requirements` on every run. The new
task gets its packages from the chosen strategy; its runner keeps what the legacy task
used (PROCESS unless `runner: DOCKER`), so the migration changes no more than it must.
"""

from __future__ import annotations

import re

from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from flowlint.findings import WORKER, Edit, Fix, FixRefused, require
from flowlint.kestra import plugin_types
from flowlint.kestra.flow import Flow, Task
from flowlint.kestra.images import default_image
from flowlint.lang.requirements import requirement_name
from flowlint.remedies.cached_install import CachedInstall
from flowlint.remedies.command_edits import remove_property
from flowlint.remedies.custom_image import image_name, record_edit
from flowlint.remedies.dependencies import image_python_version
from flowlint.remedies.fix_options import FixOptions
from flowlint.remedies.image_packages import PackageList
from flowlint.remedies.install_args import require_index_kept
from flowlint.remedies.task_edits import (
    append_properties,
    extend_sequence,
    own_entry,
    wrap_in_list_item,
)
from flowlint.remedies.yaml_text import Style, node_start, rewrite_scalar
from flowlint.yamlnodes import get_text, string_list

NAME = "migrate"
NEW_TYPE = "io.kestra.plugin.scripts.python.Commands"
_KNOWN_KEYS = frozenset({
    "id", "type", "description", "requirements", "commands", "inputFiles", "outputFiles",
    "outputsFiles", "beforeCommands", "runner", "dockerOptions", "env", "timeout", "retry", "disabled",
    "allowFailure", "warningOnStdErr", "workerGroup", "logLevel", "logToFile",
})
_VENV_PYTHON = re.compile(r"(^|\s)\./bin/python(\d[\d.]*)?(?=\s|$)")


def plan(flow: Flow, task: Task, options: FixOptions, style: Style) -> Fix:
    unknown = sorted({key for key, _ in _own_keys(task)} - _KNOWN_KEYS)
    require(not unknown, f"'{task.id}' uses {', '.join(unknown)}, which the migration to "
            f"{NEW_TYPE} does not know how to carry over")
    requirements = string_list(task.prop("requirements"))
    if options.strategy != "auto":
        return _Migration(flow, task, style, requirements).plan(options.strategy, options)
    try:
        return _Migration(flow, task, style, requirements).plan("dependencies", options)
    except FixRefused as refusal:
        try:
            return _Migration(flow, task, style, requirements).plan("working-dir-cache",
                                                                    options)
        except FixRefused as second:
            raise FixRefused(f"dependencies: {refusal}; working-dir-cache: {second}") from None


def _own_keys(task: Task) -> list[tuple[str, object]]:
    return [(key.value, value) for key, value in task.node.value if isinstance(key, ScalarNode)]


class _Migration:
    def __init__(self, flow: Flow, task: Task, style: Style, requirements: list[str]) -> None:
        self.flow, self.task, self.style, self.requirements = flow, task, style, requirements
        self.source = flow.source
        self.edits: list[Edit] = []
        self.added: dict[str, object] = {}

    def plan(self, strategy: str, options: FixOptions) -> Fix:
        if strategy != "working-dir-cache":
            require_index_kept(self.task, strategy)
        runner = plugin_types.runner_of_enum(get_text(self.task.node, "runner") or "PROCESS")
        # On Docker the legacy task ran in `python` unless it said otherwise; the new task
        # type's default is another image, so the one that ran is written down.
        image = get_text(self.task.prop("dockerOptions"), "image") or \
            (default_image(self.task, self.flow.target_version) if runner == "docker" else None)
        self._retype()
        self._commands()
        self._rename("outputsFiles", "outputFiles")
        if strategy == "dependencies":
            self._dependencies(image)
            self._runner(runner, image)
        elif strategy == "process-runner":
            self._drop("requirements")
            self._runner("process", None)
            return self._planned(strategy, self._edits_with_additions(), WORKER)
        elif strategy == "custom-image":
            return self._custom_image(image, options)
        else:
            return self._working_dir_cache(runner, image, options)
        return self._planned(strategy, self._edits_with_additions())

    def _custom_image(self, image: str | None, options: FixOptions) -> Fix:
        """Run in an image built FROM the one the legacy task ran in, its requirements baked
        in, with the note `flowlint image` reads (custom_image.record_edit)."""
        self._drop("requirements")
        new_image = image_name(options.image, self.flow, self.task)
        listed = PackageList()
        for line in self.requirements:
            listed.add_requirements_line(line, f"requirements line '{line}'")
        require(not listed.problems, listed.problems[0] if listed.problems else "")
        require(image is not None, f"'{self.task.id}' runs on the worker (runner PROCESS): "
                "there is no image to build a new one FROM; use --strategy process-runner, or "
                "set `runner: DOCKER` first")
        note = record_edit(self.source, self.flow, self.task, new_image, image, "dockerOptions",
                           listed.packages(), self.style)
        self._runner("docker", new_image)
        return self._planned("custom-image", [note, *self._edits_with_additions()], new_image)

    def _retype(self) -> None:
        for key, value in self.task.node.value:
            if key.value == "type":
                self.edits.append(self._scalar(value, NEW_TYPE))

    def _scalar(self, node: ScalarNode, value: str) -> Edit:
        return rewrite_scalar(self.source, node, value, self.style,
                              in_flow=bool(self.task.node.flow_style))

    def _commands(self) -> None:
        entry = own_entry(self.task, "commands")
        if entry is None:
            # The legacy task ran `./bin/python main.py` from its virtualenv by default.
            self.added["commands"] = ["python main.py"]
            return
        require(isinstance(entry[1], SequenceNode), "`commands` is not a list")
        for item in entry[1].value:
            if isinstance(item, ScalarNode) and _VENV_PYTHON.search(item.value):
                require(item.style not in ("|", ">"), "a command is a block scalar")
                self.edits.append(self._scalar(item, _VENV_PYTHON.sub(r"\1python\2", item.value)))

    def _rename(self, old: str, new: str) -> None:
        for key, _ in self.task.node.value:
            if isinstance(key, ScalarNode) and key.value == old:
                require(not key.style, f"`{old}` is a quoted key")
                start = node_start(self.source, key)
                self.edits.append(Edit(start, start + len(old), new))

    def _drop(self, key: str) -> None:
        if own_entry(self.task, key) is not None:
            self.edits.append(remove_property(self.source, self.task, key))

    def _dependencies(self, image: str | None) -> None:
        require(self.flow.target_version >= (0, 23), "`dependencies` needs Kestra 0.23 or "
                "later; use --strategy working-dir-cache, custom-image or process-runner")
        require(all(_plain_requirement(spec) for spec in self.requirements),
                "the requirements hold options, files or URLs that `dependencies` cannot "
                "express")
        if image is not None:
            require(image_python_version(image) is not None, f"image '{image}' does not tell "
                    "its Python version: add `pythonVersion` after migrating, or choose "
                    "another strategy")
            require("alpine" not in image.lower(), f"image '{image}' is alpine (musl)")
        self._rename("requirements", "dependencies")

    def _runner(self, runner: str, image: str | None) -> None:
        """Keep the legacy runner: PROCESS stays on the worker, DOCKER keeps its image."""
        self._drop("runner")
        self._drop("dockerOptions")
        options = self.task.prop("dockerOptions")
        if isinstance(options, MappingNode) and runner == "docker":
            extra = sorted(key.value for key, _ in options.value
                           if key.value not in ("image", "pullPolicy"))
            require(not extra, f"dockerOptions {', '.join(extra)} need migrating by hand")
        if runner == "process":
            if self.flow.target_version >= (0, 18):
                self.added["taskRunner"] = {"type": plugin_types.PROCESS_RUNNER}
            else:
                self.added["runner"] = "PROCESS"
        elif image:
            key = "containerImage" if self.flow.target_version >= (0, 18) else "docker"
            self.added[key] = image if key == "containerImage" else {"image": image}

    def _working_dir_cache(self, runner: str, image: str | None,
                           options: FixOptions) -> Fix:
        require(all(_plain_requirement(spec) for spec in self.requirements),
                "the requirements hold options, files or URLs; install them by hand")
        require(self.task.prop("env") is None, "`env` is set; add PYTHONPATH by hand")
        self._drop("requirements")
        self._runner(runner, image)
        packages = tuple(_quote_word(spec) for spec in self.requirements)
        install = CachedInstall("deps", "pip install", packages).text()
        existing = own_entry(self.task, "beforeCommands")
        if existing is None:
            self.added["beforeCommands"] = [install]
        else:
            require(isinstance(existing[1], SequenceNode), "`beforeCommands` is not a list")
            self.edits.append(extend_sequence(self.source, existing[1], [install], self.style))
        self.added["env"] = {"PYTHONPATH": "deps"}
        edits = self._edits_with_additions()
        working_directory = self.task.working_directory
        if working_directory is not None:
            from flowlint.remedies.working_dir_cache import extend_cache

            edits += extend_cache(self.source, working_directory, "deps", options.ttl, self.style)
            return Fix(f"migrate to {NEW_TYPE} (working-dir-cache)", tuple(edits),
                              safe=False, scope=frozenset({self.task.id, working_directory.id}))
        ids = {task.id for task in self.flow.tasks}
        new_id = f"{self.task.id}_cached"
        while new_id in ids:
            new_id += "_"
        type_name = plugin_types.WORKING_DIRECTORY if self.flow.target_version >= (0, 17) \
            else "io.kestra.core.tasks.flows.WorkingDirectory"
        wrapper = {"id": new_id, "type": type_name,
                   "cache": {"patterns": ["deps/**"], "ttl": options.ttl}}
        wrapped = wrap_in_list_item(self.source, self.task, wrapper, self.style, edits)
        return self._planned("working-dir-cache", [wrapped])

    def _edits_with_additions(self) -> list[Edit]:
        if not self.added:
            return list(self.edits)
        return [*self.edits, append_properties(self.source, self.task, self.added, self.style)]

    def _planned(self, strategy: str, edits: list[Edit], runs_in: str | None = None) -> Fix:
        """The migration; moving the task (to an image, to the worker) moves its packages."""
        provides = frozenset(filter(None, map(requirement_name, self.requirements))) \
            if runs_in else frozenset()
        return Fix(f"migrate to {NEW_TYPE} ({strategy})", tuple(edits), safe=False,
                   scope=frozenset({self.task.id}), runs_in=runs_in, provides=provides)


def _plain_requirement(spec: str) -> bool:

    return requirement_name(spec) is not None and not spec.lstrip().startswith("-")


def _quote_word(spec: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_.\-=!~,\[\]]+", spec) and "[" not in spec:
        return spec
    return "'" + spec.replace("'", "'\\''") + "'"
