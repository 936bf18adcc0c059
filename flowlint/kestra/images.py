"""The image a script task runs in: the one it names, or Kestra's default (docs/kestra.md §1)."""

from __future__ import annotations

from flowlint.kestra import plugin_types
from flowlint.kestra.flow import Task
from flowlint.lang.image_reference import image_reference_problem
from flowlint.yamlnodes import get_text, scalar_text


def default_image(task: Task, target_version: tuple[int, int]) -> str | None:
    """The image Kestra runs a script task in when none is set (docs/kestra.md §1)."""
    kind = task.script_kind
    if kind is None:
        return None
    if kind.shape == "legacy":
        return {"python": "python", "shell": "ubuntu", "node": "node"}.get(kind.language)
    if kind.language == "python":
        if target_version >= (0, 23):
            return "python:3.13-slim"
        return "ghcr.io/kestra-io/kestrapy:latest" if target_version >= (0, 16) else "python"
    return {"shell": "ubuntu", "node": "node", "r": "r-base", "julia": "julia"}.get(
        kind.language)


def task_image(task: Task, target_version: tuple[int, int]) -> tuple[str | None, str]:
    """(image, where it comes from); the image is None when it cannot be told."""
    legacy = plugin_types.is_legacy_script(task.type)
    candidates = [("dockerOptions", "image")] if legacy else \
        [("containerImage", None), ("docker", "image")]
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
            return None, f"{label} '{image}' is a Pebble expression, known only at run time"
        problem = image_reference_problem(image)
        if problem is not None:
            # It would become the Dockerfile's FROM line: only a plain reference goes there.
            return None, f"{label} '{image}' is not an image reference: {problem}"
        return image, label
    image = default_image(task, target_version)
    if image is None:
        return None, f"no image is set and Kestra's default for {task.type} is not known"
    major, minor = target_version
    return image, f"Kestra's default image on {major}.{minor}"
