"""The image a script task runs in: the one it names, or Kestra's default (docs/kestra.md §1).

When a task writes a `docker:` block with an `image`, Kestra builds the Docker runner from those
options and that image wins; `containerImage` only fills an empty `docker.image` (§2). Legacy
script tasks take theirs from `dockerOptions.image`.
"""

from __future__ import annotations

from ruamel.yaml.nodes import MappingNode, ScalarNode

from flowlint.kestra import plugin_types
from flowlint.kestra.flow import Task
from flowlint.records import NamedTuple
from flowlint.yamlnodes import get_text, scalar_text


class TaskImage(NamedTuple):
    reference: str | None   # None when it cannot be told (a Pebble expression, no default known)
    origin: str             # where it comes from, or why it cannot be told
    setting: str            # the key that sets it: docker, containerImage, dockerOptions, or ''

    @property
    def is_default(self) -> bool:
        return self.setting == "" and self.reference is not None


def pinned(reference: str) -> bool:
    """Whether an image reference names one image for good (a digest): any tag may move, and
    a worker that pulls only when absent keeps its first copy of a moving tag."""
    return "@sha256:" in reference


def default_image(task: Task, target_version: tuple[int, int]) -> str | None:
    """The image Kestra runs a script task in when none is set."""
    kind = task.script_kind
    if kind is None:
        return None
    if kind.shape == "legacy":
        return {"python": "python", "shell": "ubuntu", "node": "node"}.get(kind.language)
    if kind.language == "python":
        if target_version >= (0, 23):
            return "python:3.13-slim"
        return "ghcr.io/kestra-io/kestrapy:latest" if target_version >= (0, 16) else "python"
    if kind.language == "dbt":
        # `engine: FUSION` is documented to fall back to ghcr.io/kestra-io/dbt-fusion, while
        # DbtCLI's code defaults containerImage to the Core image: not known, so not guessed.
        engine = (task.prop_text("engine") or "CORE").strip().upper()
        return "ghcr.io/kestra-io/dbt" if engine == "CORE" else None
    return {"shell": "ubuntu", "node": "node", "r": "r-base", "julia": "julia"}.get(
        kind.language)


def docker_options_key(task: Task) -> str | None:
    """The property holding the task's Docker options: `docker`, or `dockerOptions` (legacy
    script tasks, and the dbt tasks, whose setter fills the same options). When a task writes
    both, the one written last is the one that stays."""
    keys = [key.value for key, value in task.node.value
            if isinstance(key, ScalarNode) and key.value in ("docker", "dockerOptions")
            and isinstance(value, MappingNode)]
    if keys:
        return keys[-1]
    for key in ("docker", "dockerOptions"):   # from pluginDefaults
        if isinstance(task.prop(key), MappingNode):
            return key
    return None


def task_image(task: Task, target_version: tuple[int, int]) -> TaskImage:
    """The image the task's container starts from, as the flow states it."""
    options = docker_options_key(task)
    candidates = [(options, "image")] if options else []
    if not plugin_types.is_legacy_script(task.type):
        candidates.append(("containerImage", None))
    for key, inner in candidates:
        prop = task.properties.get(key)
        if prop is None:
            continue
        image = get_text(prop.node, inner) if inner else scalar_text(prop.node)
        if not image or not image.strip():
            continue
        label = f"{key}.{inner}" if inner else key
        if prop.origin != "task":
            label += " from pluginDefaults"
        image = image.strip()
        if "{{" in image or "{%" in image:
            return TaskImage(None, f"{label} '{image}' is a Pebble expression, known only at "
                             "run time", key)
        return TaskImage(image, label, key)
    image = default_image(task, target_version)
    if image is None:
        return TaskImage(None, f"no image is set and Kestra's default for {task.type} is not "
                         "known", "")
    major, minor = target_version
    return TaskImage(image, f"Kestra's default image on {major}.{minor}", "")
