"""`flowlint image`: Docker build contexts with the packages tasks install on every run baked in.

Remedy (b) of docs/kestra.md §6. Each task is given the image name the custom-image fix gives
it (the same --image template, flowlint.remedies.custom_image.image_name_for); the tasks of
one name share one folder holding a Dockerfile `FROM` the image they ran in, with their Python
packages (requirements.txt) and system packages installed. Tasks the fix already pointed at
their image are read from the note it left (flowlint.remedies.image_record), so running this
before or after the fix writes the same contexts. A name that would serve two base images or
two package sets gets no context: that is a problem to fix with {task} in the template.
"""

from __future__ import annotations

import os
import re
import shlex
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from flowlint.findings import FixRefused
from flowlint.lang.printable import visible
from flowlint.records import NamedTuple
from flowlint.remedies.custom_image import image_name_for
from flowlint.remedies.image_packages import ImagePackages
from flowlint.remedy_files.gather import (
    IMAGE_RULES,
    FileSettings,
    FixedSettings,
    Gathering,
    TaskRef,
    TaskRequest,
    gather,
)
from flowlint.remedy_files.requirements_merge import merge_requirements


class ImageContext(NamedTuple):
    """One Docker build context: a folder with a Dockerfile (and a requirements.txt)."""

    image: str                   # the name the fixed tasks run
    base_image: str              # what it is built FROM: the image the tasks ran in
    directory: str               # folder name under the output folder
    dockerfile: str
    requirements: str            # requirements.txt; '' when no Python package is baked in
    tasks: tuple[TaskRef, ...]   # the tasks it serves


class ImagePlan(NamedTuple):
    contexts: dict[str, ImageContext]   # image name -> context, sorted by name
    problems: list[str]
    unread: int = 0                     # files and folders that could not be read

    def write(self, output_dir: str) -> list[str]:
        """Write every context under `output_dir` (created); the paths written.

        Raises ContextWriteError, naming the path, when a file cannot be written or a
        folder would lead outside `output_dir`.
        """
        return write_contexts(self.contexts.values(), output_dir)


class _Wanted(NamedTuple):
    """What one task needs: the image named for it, built FROM `base` with `packages`."""

    image: str
    base: str
    packages: ImagePackages
    task: TaskRef
    origin: str            # where `base` comes from
    fixed: bool            # the task runs `image` already (read from the fix's note)
    template: str | None   # the --image template that named it (None: the note did)


def build_image_contexts(paths: Iterable[str], target_version: tuple[int, int] = (1, 0), *,
                         image_template: str | None = None, excludes: Iterable[str] = (),
                         file_settings: FileSettings | None = None) -> ImagePlan:
    """One build context per image name the flagged (or fixed) tasks under `paths` get.

    `image_template` is the fix's --image; without it each file's `fix.image` setting names
    its tasks. `file_settings` reads each file as `flowlint check` would (config files);
    without it every file is read with the default rules at `target_version`.
    """
    file_settings = file_settings or FixedSettings.default(target_version)
    gathering = gather(paths, file_settings, IMAGE_RULES, excludes, image_template)
    problems = list(gathering.problems)
    by_image: dict[str, list[_Wanted]] = {}
    for wanted in _wanted(gathering, file_settings, image_template, problems):
        by_image.setdefault(wanted.image, []).append(wanted)
    contexts: dict[str, ImageContext] = {}
    directories: set[str] = set()
    for image in sorted(by_image):
        group = by_image[image]
        conflict = _conflict(image, group)
        if conflict is not None:
            problems.append(conflict)
            continue
        first = group[0]
        merged = merge_requirements([TaskRequest(first.task, first.packages, first.base,
                                                 first.origin)], f" in image '{image}'")
        problems.extend(merged.problems)
        directory = _unique(slug(image), directories)
        target = file_settings.for_path(first.task.path).target_version
        contexts[image] = ImageContext(image, first.base, directory,
                                       render_dockerfile(image, group, target), merged.text,
                                       tuple(wanted.task for wanted in group))
    # Problems quote values from the flow files: each stays one line where it is printed.
    return ImagePlan(contexts, [visible(problem) for problem in problems], gathering.unread)


def _wanted(gathering: Gathering, file_settings: FileSettings, image_template: str | None,
            problems: list[str]) -> Iterator[_Wanted]:
    """Each task's need: from the installs still in it (named by the template, as the fix
    will name it) and from the fix's notes; a task with both (a second rule's installs not
    fixed yet) needs its note's packages and the new ones, FROM the note's base."""
    notes = {(recorded.task.path, recorded.task.namespace, recorded.task.flow,
              recorded.task.task): recorded.record for recorded in gathering.records}
    unnamed: list[TaskRef] = []
    for request in gathering.requests:
        ref = request.task
        template = image_template or _template_for(file_settings, ref.path)
        if not template:
            unnamed.append(ref)
            continue
        try:
            image = image_name_for(template, ref.namespace, ref.flow, ref.task)
        except FixRefused as refusal:
            problems.append(f"{ref}: {refusal}")
            continue
        note = notes.pop((ref.path, ref.namespace, ref.flow, ref.task), None)
        if note is not None:
            yield _Wanted(image, note.base, note.packages.union(request.packages), ref,
                          "the note the custom-image fix left", False, template)
        elif request.image is None:
            problems.append(f"{ref}: {request.image_origin}: its packages are not gathered; "
                            "set containerImage")
        elif request.image == image:
            problems.append(f"{ref}: runs '{image}' already, and no note says which image it "
                            "was built from: its packages are not gathered")
        else:
            yield _Wanted(image, request.image, request.packages, ref, request.image_origin,
                          False, template)
    for key, note in notes.items():
        ref = TaskRef(*key)
        yield _Wanted(note.image, note.base, note.packages, ref,
                      "the note the custom-image fix left", True, None)
    if unnamed:
        problems.append(f"no image name for {len(unnamed)} task(s) ({unnamed[0]}"
                        f"{', ...' if len(unnamed) > 1 else ''}): pass --image TEMPLATE, the "
                        "one `flowlint check --fix --strategy custom-image` uses, or set "
                        "fix.image in the config")


def _template_for(file_settings: FileSettings, path: str) -> str | None:
    settings = file_settings.for_path(path)
    return settings.fix.image if settings.fix is not None else None


def _conflict(image: str, group: list[_Wanted]) -> str | None:
    """Why one name cannot serve these tasks (different bases or package sets), or None."""
    first = group[0]
    if all(wanted.base == first.base and wanted.packages.same_as(first.packages)
           for wanted in group[1:]):
        return None
    needs = "; ".join(f"{wanted.task}: FROM '{wanted.base}' with {wanted.packages.summary()}"
                      for wanted in group)
    return (f"image '{image}' would serve tasks that need different images ({needs}); no "
            "build context written for it: put {task} in --image so each task gets its own")


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


_SYSTEM_INSTALLS = {
    "apt-get": ["RUN apt-get update \\",
                "    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "
                "{packages} \\",
                "    && rm -rf /var/lib/apt/lists/*"],
    "apk": ["RUN apk add --no-cache {packages}"],
    "yum": ["RUN yum install -y {packages} \\", "    && yum clean all"],
    "dnf": ["RUN dnf install -y {packages} \\", "    && dnf clean all"],
    "microdnf": ["RUN microdnf install -y {packages} \\", "    && microdnf clean all"],
}


def render_dockerfile(image: str, group: list[_Wanted], target_version: tuple[int, int]) -> str:
    base, packages = group[0].base, group[0].packages
    family = _image_family(base)
    comments = [
        f"# Built by `flowlint image` for the image '{image}': the packages these tasks",
        f"# installed on every execution, baked into the image they ran in, '{base}':",
        *(f"#   {wanted.task} ({'runs it now' if wanted.fixed else wanted.origin})"
          for wanted in group)]
    if family == "other" and packages.requirements:
        comments.append("# This assumes the base image has pip; if it does not, install it "
                        "first.")
    comments += ["# Build it from this folder and push it:",
                 f"#   docker build -t {image} .",
                 f"#   docker push {image}"]
    comments += _fix_hint(group, target_version)
    # Paths and ids come from the flow files: a line break in one would end the comment.
    lines = [visible(comment) for comment in comments]
    lines.append(f"FROM {base}")   # a valid reference: checked where it was read
    for manager, names in packages.system:
        quoted = " ".join(shlex.quote(name) for name in names)   # validated; quoted anyway
        lines += [line.format(packages=quoted) for line in _SYSTEM_INSTALLS[manager]]
    if packages.requirements or packages.options:
        if family in ("python", "other"):
            lines.append("COPY requirements.txt /tmp/requirements.txt")
        lines += _INSTALLS[family]
    return "\n".join(lines) + "\n"


def _fix_hint(group: list[_Wanted], target_version: tuple[int, int]) -> list[str]:
    """How to point the tasks that do not run the image yet at it."""
    pending = [wanted for wanted in group if not wanted.fixed]
    if not pending:
        return ["# The tasks run this image already (flowlint check --fix wrote it)."]
    version = "" if target_version == (1, 0) else \
        f" --target-version {target_version[0]}.{target_version[1]}"
    files = " ".join(shlex.quote(path)
                     for path in dict.fromkeys(wanted.task.path for wanted in pending))
    template = shlex.quote(pending[0].template or "")
    return ["# then point the tasks at it; the fix removes their install commands:",
            f"#   flowlint check --fix --unsafe-fixes --strategy custom-image{version} "
            f"--image {template} {files}"]


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
        files = [("Dockerfile", context.dockerfile)]
        if context.requirements:
            files.append(("requirements.txt", context.requirements))
        for name, text in files:
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
