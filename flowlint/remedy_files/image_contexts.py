"""`flowlint image`: Docker build contexts with the packages tasks install on every run baked in.

Remedy (b) of docs/kestra.md §6. The packages that flagged tasks install per execution
(flowlint.remedy_files.gather) are grouped by the image the tasks run on today; each group
becomes a folder holding a Dockerfile `FROM` that image and a requirements.txt.
"""

from __future__ import annotations

import os
import re
import shlex
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from flowlint.lang.printable import visible
from flowlint.remedy_files.gather import (
    IMAGE_RULES,
    FileSettings,
    FixedSettings,
    TaskRef,
    TaskRequest,
    gather,
)
from flowlint.remedy_files.requirements_merge import merge_requirements


@dataclass(frozen=True)
class ImageContext:
    """One Docker build context: a folder with a Dockerfile and a requirements.txt."""

    base_image: str
    directory: str               # folder name under the output folder
    dockerfile: str
    requirements: str            # requirements.txt
    tasks: tuple[TaskRef, ...]   # the tasks it serves


@dataclass(frozen=True)
class ImagePlan:
    contexts: dict[str, ImageContext]   # base image -> context, sorted by base image
    problems: list[str]

    def write(self, output_dir: str) -> list[str]:
        """Write every context under `output_dir` (created); the paths written.

        Raises ContextWriteError, naming the path, when a file cannot be written or a
        folder would lead outside `output_dir`.
        """
        return write_contexts(self.contexts.values(), output_dir)


def build_image_contexts(paths: Iterable[str], target_version: tuple[int, int] = (1, 0), *,
                         excludes: Iterable[str] = (),
                         file_settings: FileSettings | None = None) -> ImagePlan:
    """One build context per base image the flagged tasks under `paths` run on.

    `file_settings` reads each file as `flowlint check` would (config files); without it every
    file is read with the default rules at `target_version`.
    """
    file_settings = file_settings or FixedSettings.default(target_version)
    gathering = gather(paths, file_settings, IMAGE_RULES, excludes)
    problems = list(gathering.problems)
    by_image: dict[str, list[TaskRequest]] = {}
    for request in gathering.requests:
        if request.image is None:
            problems.append(f"{request.task}: {request.image_origin}: its packages are not "
                            "gathered; set containerImage")
        elif request.requirements:
            by_image.setdefault(request.image, []).append(request)
    problems.extend(_files_on_several_images(by_image))
    contexts: dict[str, ImageContext] = {}
    directories: set[str] = set()
    for image in sorted(by_image):
        requests = by_image[image]
        merged = merge_requirements(requests, f" in image '{image}'")
        problems.extend(merged.problems)
        directory = _unique(slug(image), directories)
        target = file_settings.for_path(requests[0].task.path).target_version
        dockerfile = render_dockerfile(image, requests, directory, target)
        contexts[image] = ImageContext(image, directory, dockerfile, merged.text,
                                       tuple(request.task for request in requests))
    # Problems quote values from the flow files: each stays one line where it is printed.
    return ImagePlan(contexts, [visible(problem) for problem in problems])


def _files_on_several_images(by_image: dict[str, list[TaskRequest]]) -> Iterator[str]:
    images_of: dict[str, list[str]] = {}
    for image in sorted(by_image):
        for request in by_image[image]:
            found = images_of.setdefault(request.task.path, [])
            if image not in found:
                found.append(image)
    for path, images in images_of.items():
        if len(images) > 1:
            listed = ", ".join(f"'{image}'" for image in images)
            yield (f"{path}: its tasks run on {len(images)} base images ({listed}); `flowlint "
                   "check --fix --strategy custom-image --image NAME` gives every flagged task "
                   "of a file the same image: fix this file's tasks one image at a time by hand")


def slug(image: str) -> str:
    """A folder name for an image: lowercase letters, digits, '.', '_' and '-'."""
    text = re.sub(r"[^a-z0-9._-]+", "-", image.lower())
    text = re.sub(r"-{2,}", "-", text).strip(".-_")
    return text[:80].rstrip(".-_") or "image"


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}-{number}", number + 1
    taken.add(candidate)
    return candidate


def _image_family(image: str) -> str:
    """'python' (has pip), 'apt', 'apk' (pip must be installed) or 'other'."""
    name = image.split("@", 1)[0].rsplit("/", 1)[-1]
    repository, _, tag = name.partition(":")
    repository = repository.lower()
    if "python" in repository or repository in ("kestrapy", "pydata"):
        return "python"
    if repository == "alpine" or "alpine" in tag.lower():
        return "apk"
    if repository in ("ubuntu", "debian", "node", "r-base", "julia", "buildpack-deps"):
        return "apt"
    return "other"


# Ubuntu 23.04+, Debian 12+ and Alpine 3.19+ mark their Python as externally managed (PEP 668)
# and pip refuses to install there; PIP_BREAK_SYSTEM_PACKAGES lifts that, and the pip of older
# releases, which has no such option, ignores the variable.
_INSTALLS = {
    "python": ["RUN pip install --no-cache-dir -r /tmp/requirements.txt"],
    "apt": ["RUN apt-get update \\",
            "    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "
            "python3-pip \\",
            "    && rm -rf /var/lib/apt/lists/*",
            "COPY requirements.txt /tmp/requirements.txt",
            "RUN PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --no-cache-dir "
            "-r /tmp/requirements.txt"],
    "apk": ["RUN apk add --no-cache py3-pip",
            "COPY requirements.txt /tmp/requirements.txt",
            "RUN PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --no-cache-dir "
            "-r /tmp/requirements.txt"],
    "other": ["RUN pip install --no-cache-dir -r /tmp/requirements.txt"],
}


def render_dockerfile(image: str, requests: list[TaskRequest], directory: str,
                      target_version: tuple[int, int]) -> str:
    family = _image_family(image)
    name = f"REGISTRY/kestra-{directory}:1"
    files = list(dict.fromkeys(request.task.path for request in requests))
    version = "" if target_version == (1, 0) else \
        f" --target-version {target_version[0]}.{target_version[1]}"
    comments = [
        "# Built by `flowlint image`: the Python packages these tasks installed on every",
        f"# execution, baked into their image '{image}':",
        *(f"#   {request.task} ({request.image_origin})" for request in requests)]
    if family == "other":
        comments.append("# This assumes the base image has pip; if it does not, install it "
                        "first.")
    comments += ["# Build it from this folder and push it (replace REGISTRY with your registry):",
                 f"#   docker build -t {name} .",
                 f"#   docker push {name}",
                 "# then point the tasks at it; the fix removes their install commands:",
                 f"#   flowlint check --fix --unsafe-fixes --strategy custom-image{version} "
                 f"--image {name} {' '.join(shlex.quote(path) for path in files)}"]
    # Paths and ids come from the flow files: a line break in one would end the comment.
    lines = [visible(comment) for comment in comments]
    lines.append(f"FROM {image}")   # a valid reference: task_image refuses anything else
    if family in ("python", "other"):
        lines.append("COPY requirements.txt /tmp/requirements.txt")
    lines += _INSTALLS[family]
    return "\n".join(lines) + "\n"


class ContextWriteError(Exception):
    """A build context file was not written; the message names it and says why."""


def write_contexts(contexts: Iterable[ImageContext], output_dir: str) -> list[str]:
    root = Path(output_dir)
    try:
        root.mkdir(parents=True, exist_ok=True)
        real_root = root.resolve()
    except OSError as error:
        raise ContextWriteError(f"{output_dir}: cannot create it: "
                                f"{error.strerror or error}") from None
    written = []
    for context in contexts:
        folder = root / context.directory
        try:
            folder.mkdir(exist_ok=True)
            inside = folder.resolve().parent == real_root and not folder.is_symlink()
        except OSError as error:
            raise ContextWriteError(f"{folder}: cannot create it: "
                                    f"{error.strerror or error}") from None
        if not inside:
            raise ContextWriteError(f"{folder}: is a link to a folder outside {output_dir}; "
                                    "not written")
        for name, text in (("Dockerfile", context.dockerfile),
                           ("requirements.txt", context.requirements)):
            _write_new(folder / name, text)
            written.append(str(folder / name))
    return written


def _write_new(path: Path, text: str) -> None:
    """Write through a temporary file and a rename: a link at `path` is replaced, not followed."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError as error:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise ContextWriteError(f"{path}: cannot write it: {error.strerror or error}") from None
