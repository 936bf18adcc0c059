"""`flowlint image`: Docker build contexts with the packages tasks install on every run baked in.

Remedy (b) of KESTRA.md section 6. The packages that flagged tasks install per execution
(FL001 installs, FL002 legacy `requirements`) are gathered across the flow files and grouped
by the image the tasks run on today; each group becomes a folder holding a Dockerfile `FROM`
that image and a requirements.txt. Gathering and merging live here too: remedy (c),
`flowlint server-requirements`, needs the same with every runner counted.
"""

from __future__ import annotations

import os
import re
import shlex
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from flowlint.kestra import plugin_types
from flowlint.facts.flow_facts import PYTHON_INSTALLERS as DEFAULT_INSTALLERS
from flowlint.facts.flow_facts import FlowFacts
from flowlint.files import discover, read_bytes
from flowlint.kestra.flow import Flow, Task, build_flow, is_flow
from flowlint.lang.image_reference import image_reference_problem
from flowlint.source import DEFAULT_MAX_BYTES, SourceError, decode
from flowlint.lang.installs import Install
from flowlint.yamlnodes import (
    compose,
    duplicate_keys,
    get_text,
    node_span,
    scalar_text,
    string_list,
)

CONDA_TOOLS = frozenset({"conda", "mamba", "micromamba"})
# Install options that say where packages come from: requirements files take them too.
_INDEX_OPTIONS = {"-i": "--index-url", "--index-url": "--index-url",
                  "--extra-index-url": "--extra-index-url", "-f": "--find-links",
                  "--find-links": "--find-links", "--trusted-host": "--trusted-host",
                  "--no-index": "--no-index", "--pre": "--pre"}
_UV_INDEX_OPTIONS = frozenset({"--index", "--default-index"})
_FLAG_OPTIONS = frozenset({"--no-index", "--pre"})
_VCS = re.compile(r"(git|hg|svn|bzr)\+")
_ARCHIVES = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".zip")
# What a URL or host copied into requirements.txt, a pip command line or a compose file may
# hold: one word of URL characters. No whitespace or control character (a second line: another
# requirement or index option), no quote, '\\', '$' or '`' (pip's line joining and ${VAR}
# expansion, the shell, compose interpolation).
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[A-Za-z0-9._~:/?#\[\]@!&()*+,;=%-]+")
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]+)?")


# ----------------------------------------------------------------------------- gathering

@dataclass(frozen=True)
class TaskRef:
    """Where a task is, for messages: file, flow and task id."""

    path: str
    namespace: str
    flow: str
    task: str

    def __str__(self) -> str:
        return f"{self.path}: {self.namespace}/{self.flow} task '{self.task}'"


@dataclass(frozen=True)
class TaskRequest:
    """What one task installs on every execution, and the image it runs on today."""

    task: TaskRef
    requirements: tuple[str, ...]   # PEP 508 specifiers or URLs, as written
    options: tuple[str, ...]        # index options as requirements-file lines
    image: str | None               # None when it cannot be told (see image_origin)
    image_origin: str               # where the image comes from, or why there is none


@dataclass
class Gathering:
    requests: list[TaskRequest] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def gather(paths: Iterable[str], target_version: tuple[int, int] = (1, 0), *,
           every_runner: bool = False, excludes: Iterable[str] = (),
           max_bytes: int = DEFAULT_MAX_BYTES,
           installers: Iterable[str] = DEFAULT_INSTALLERS) -> Gathering:
    """Per-execution installs of the flows under `paths`.

    Python installs that are not cached by a WorkingDirectory, on a container runner (FL001)
    or on any runner when `every_runner` (FL001 and FL004), plus legacy Python
    `requirements` (FL002). Unreadable files and what cannot be installed ahead of time
    become problems.
    """
    gathering = Gathering()
    parameters = {"installers": tuple(installers)}
    for path in discover(tuple(paths) or (".",), excludes):
        try:
            flows = _read_flows(path, target_version, max_bytes, gathering.problems)
            for flow in flows:
                gathering.requests.extend(
                    _flow_requests(flow, parameters, every_runner, gathering.problems))
        except RecursionError:
            gathering.problems.append(f"{path}: error: nesting is too deep to read")
        except Exception as error:  # noqa: BLE001 - one bad file never stops the others
            gathering.problems.append(f"{path}: error: internal error "
                                      f"({type(error).__name__}: {error}); please report it")
    return gathering


def _read_flows(path: str, target_version: tuple[int, int], max_bytes: int,
                problems: list[str]) -> list[Flow]:
    try:
        source = decode(read_bytes(path), path, max_bytes)
    except OSError as error:
        problems.append(f"{path}: error: cannot read: {error.strerror or error}")
        return []
    except SourceError as error:
        problems.append(f"{path}: error: {error}")
        return []
    documents, problem = compose(source)
    if problem is not None:
        line, column = source.position(problem.offset)
        problems.append(f"{path}:{line}:{column}: {problem.message}; the rest of the file is "
                        "not read")
    flows = []
    for index, document in enumerate(documents):
        duplicate = next(duplicate_keys(document), None)
        if duplicate is not None:
            line, column = source.position(node_span(source, duplicate).start)
            problems.append(f"{path}:{line}:{column}: invalid YAML: duplicate key "
                            f"'{duplicate.value}' (Kestra rejects the flow); flow not read")
        elif is_flow(document):
            flows.append(build_flow(source, document, index, target_version))
    return flows


def _flow_requests(flow: Flow, parameters: dict, every_runner: bool,
                   problems: list[str]) -> Iterator[TaskRequest]:
    installs: dict[int, list[tuple[Install, str]]] = {}
    facts = FlowFacts(flow)
    for found in facts.python_installs_by(parameters["installers"]):
        if (every_runner or found.runner.starts_container) and not found.cached:
            installs.setdefault(id(found.task), []).append((found.located.install,
                                                            found.located.text))
    for task, install, text in _script_installs(facts, every_runner):
        installs.setdefault(id(task), []).append((install, text))
    for task in flow.tasks:
        legacy = task.type == plugin_types.LEGACY_PYTHON and task.prop("requirements") is not None
        if id(task) not in installs and not legacy:
            continue
        ref = TaskRef(flow.source.path, flow.namespace, flow.id, task.id)
        requirements: list[str] = []
        options: list[str] = []
        if legacy:
            _legacy_requirements(task, ref, requirements, options, problems)
        for install, text in installs.get(id(task), []):
            _install_requirements(install, text, ref, requirements, options, problems)
        if requirements or options:
            image, origin = task_image(task, flow.target_version)
            yield TaskRequest(ref, tuple(requirements), tuple(options), image, origin)


def _script_installs(facts: FlowFacts, every_runner: bool) -> Iterator[tuple[Task, Install, str]]:
    """Installs that Python scripts run themselves (FL003): the custom-image and
    process-runner fixes remove them from the script, so the image or server needs them."""
    for analysis in facts.script_analyses:
        task = analysis.script.task
        if not (every_runner or facts.runner(task).starts_container):
            continue
        for call in analysis.code.installs:
            for install in call.installs:
                if install.ecosystem == "python":
                    yield task, install, call.code


def _install_requirements(install: Install, text: str, ref: TaskRef, requirements: list[str],
                          options: list[str], problems: list[str]) -> None:
    if install.upgrades_pip_only:
        return
    where = f"{ref}: '{text}'"
    if install.tool in CONDA_TOOLS:
        problems.append(f"{where} installs conda packages, not pip ones: add them by hand")
        return
    for name in install.requirement_files:
        problems.append(f"{where} reads requirements file '{name}' (-r): copy its content "
                        "into the requirements by hand")
    for name in install.constraint_files:
        problems.append(f"{where} reads constraints file '{name}' (-c): apply it by hand")
    for name in install.editables:
        problems.append(f"{where} installs '{name}' in editable mode (-e) from the task's "
                        "files: it cannot be installed ahead of the run")
    for name in install.local_paths:
        problems.append(f"{where} installs the local path '{name}' from the task's files: "
                        "it cannot be installed ahead of the run")
    for spec in (*install.packages, *install.urls):
        _add_requirement(spec, where, requirements, problems)
    for name, value in install.options:
        _add_option(name, value, where, options, problems)
    nothing = not (install.packages or install.urls or install.requirement_files
                   or install.editables or install.local_paths)
    if nothing and install.tool in ("poetry", "pipenv"):
        problems.append(f"{where} installs what the project file (pyproject.toml, Pipfile) "
                        "lists: add those packages by hand")


def _legacy_requirements(task: Task, ref: TaskRef, requirements: list[str],
                         options: list[str], problems: list[str]) -> None:
    """Lines of a legacy `requirements` list, which uses requirements.txt syntax."""
    for line in string_list(task.prop("requirements")):
        line = re.split(r"\s+#", line, maxsplit=1)[0].strip()
        where = f"{ref}: requirements line '{line}'"
        if not line or line.startswith("#"):
            continue
        if not line.startswith("-"):
            if line.startswith((".", "/", "~")) or (line.endswith(_ARCHIVES)
                                                    and "://" not in line):
                problems.append(f"{where} is a local path: it cannot be installed ahead of "
                                "the run")
            else:
                _add_requirement(line, where, requirements, problems)
            continue
        name, value = _split_option(line)
        if name in ("-r", "--requirement"):
            problems.append(f"{where} reads a requirements file: copy its content into the "
                            "requirements by hand")
        elif name in ("-c", "--constraint"):
            problems.append(f"{where} reads a constraints file: apply it by hand")
        elif name in ("-e", "--editable"):
            problems.append(f"{where} is an editable install: it cannot be installed ahead "
                            "of the run")
        else:
            _add_option(name, value or None, where, options, problems)


def _split_option(line: str) -> tuple[str, str]:
    """'--index-url=X', '--index-url X', '-iX' or '-i X' -> (name, value)."""
    first, _, rest = line.partition(" ")
    if first.startswith("--"):
        name, eq, attached = first.partition("=")
        return name, attached if eq else rest.strip()
    if len(first) > 2:
        return first[:2], first[2:]
    return first, rest.strip()


def _add_requirement(spec: str, where: str, requirements: list[str],
                     problems: list[str]) -> None:
    spec = spec.strip()
    problem = _requirement_problem(spec)
    if problem is not None:
        problems.append(f"{where}: '{spec}' {problem}")
    elif _is_url(spec) or canonicalize_name(Requirement(spec).name) != "pip":
        requirements.append(spec)


def _requirement_problem(spec: str) -> str | None:
    """Why `spec` is not written as one requirements.txt line, or None when it is."""
    if "{{" in spec or "{%" in spec:
        return "is a Pebble expression, known only at run time: it cannot be installed " \
            "ahead of the run"
    if "$" in spec or "`" in spec:
        return "is expanded by the shell at run time: it cannot be installed ahead of the run"
    odd = _control_character(spec)
    if odd is not None:
        return f"holds the unprintable character {odd!r}, which no requirement has: left out"
    if _is_url(spec):
        return None if _URL.fullmatch(spec) else "is not a URL of one word; add it by hand"
    requirement = _parse(spec)
    if requirement is None:
        return "is not a requirement specifier; add it by hand"
    option = next((word for word in spec.split() if word.startswith("-")), None)
    if option is not None:
        # pip reads a requirements line's words from the first '-' on as options.
        return f"has the word '{option}', which pip reads as an option; add it by hand"
    if requirement.url is not None and not _URL.fullmatch(requirement.url):
        return f"has the URL '{requirement.url}', which is not one word; add it by hand"
    return None


def _control_character(text: str) -> str | None:
    """The first character that is not printable (a line break, tab, NUL, ...), if any."""
    return next((char for char in text if not char.isprintable()), None)


def _add_option(name: str, value: str | None, where: str, options: list[str],
                problems: list[str]) -> None:
    if name in _UV_INDEX_OPTIONS:
        problems.append(f"{where}: uv option '{name}' has no requirements-file form: add the "
                        "index by hand")
        return
    canonical = _INDEX_OPTIONS.get(name)
    if canonical is None:
        return   # where and how to install (-U, --user, --target...) is the remedy's choice
    if canonical in _FLAG_OPTIONS:
        options.append(canonical)
    elif value and ("{{" in value or "{%" in value or "$" in value):
        problems.append(f"{where}: '{name} {value}' is known only at run time: add it by hand")
    elif value:
        problem = _option_value_problem(canonical, value)
        if problem is None:
            options.append(f"{canonical} {value}")
        else:
            problems.append(f"{where}: '{name} {value}': {problem}")


def _option_value_problem(option: str, value: str) -> str | None:
    """Why `value` is not written after `option` in requirements.txt, or None when it is."""
    odd = _control_character(value)
    if odd is not None:
        return f"the value holds the unprintable character {odd!r}: left out"
    if option == "--trusted-host":
        return None if _HOST.fullmatch(value) else \
            "the value is not a host name with an optional port; add it by hand"
    return None if _URL.fullmatch(value) else "the value is not a URL of one word; add it by hand"


def _is_url(spec: str) -> bool:
    return "://" in spec.split("@", 1)[0] or bool(_VCS.match(spec))


def _parse(spec: str) -> Requirement | None:
    try:
        return Requirement(spec)
    except InvalidRequirement:
        return None


# ----------------------------------------------------------------------------- images

def default_image(task: Task, target_version: tuple[int, int]) -> str | None:
    """The image Kestra runs a script task in when none is set (KESTRA.md section 1)."""
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
                         excludes: Iterable[str] = (), max_bytes: int = DEFAULT_MAX_BYTES,
                         installers: Iterable[str] = DEFAULT_INSTALLERS) -> ImagePlan:
    """One build context per base image the flagged tasks under `paths` run on."""
    gathering = gather(paths, target_version, excludes=excludes, max_bytes=max_bytes,
                       installers=installers)
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
        dockerfile = render_dockerfile(image, requests, directory, target_version)
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


def visible(text: str) -> str:
    """`text` with every character that is not printable escaped repr-style (a newline as
    `\\n`): a value written into a comment or a message line cannot end that line."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


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


# ----------------------------------------------------------------------------- merging

@dataclass(frozen=True)
class MergedRequirements:
    requirements: tuple[str, ...]   # one per package, sorted by canonical name
    options: tuple[str, ...]        # index options, sorted
    text: str                       # requirements.txt: options, then requirements
    problems: tuple[str, ...]


@dataclass(frozen=True)
class _Wanted:
    text: str
    task: TaskRef
    requirement: Requirement | None   # None for a bare URL (git+https://...)

    @property
    def pin(self) -> tuple[str, str]:
        """What must agree between two requests of a package: specifiers and URL."""
        if self.requirement is None:
            return "", self.text
        return str(self.requirement.specifier), self.requirement.url or ""

    @property
    def marker(self) -> str:
        marker = self.requirement.marker if self.requirement else None
        return str(marker) if marker else ""

    def agrees(self, other: _Wanted) -> bool:
        """Identical pins, or one unpinned: both are met by the pinned one."""
        return self.marker == other.marker and (
            self.pin == other.pin or not any(self.pin) or not any(other.pin))


def merge_requirements(requests: Iterable[TaskRequest], scope: str = "") -> MergedRequirements:
    """Duplicates merged; different pins of one package are problems, the first one kept."""
    groups: dict[str, list[_Wanted]] = {}
    option_refs: dict[str, list[TaskRef]] = {}
    for request in requests:
        for text in request.requirements:
            requirement = None if _is_url(text) else _parse(text)
            key = canonicalize_name(requirement.name) if requirement else f"~{text}"
            groups.setdefault(key, []).append(_Wanted(text, request.task, requirement))
        for option in request.options:
            option_refs.setdefault(option, []).append(request.task)
    problems: list[str] = []
    lines: list[str] = []
    options = _merge_options(option_refs, scope, problems, lines)
    requirements = []
    for key in sorted(groups):
        line, comments = _merge_group(groups[key], scope, problems)
        lines.extend(comments)
        lines.append(line)
        requirements.append(line)
    text = "\n".join(lines) + "\n" if lines else ""
    return MergedRequirements(tuple(requirements), options, text, tuple(problems))


def _merge_group(wanted: list[_Wanted], scope: str,
                 problems: list[str]) -> tuple[str, list[str]]:
    kept = wanted[0]
    for candidate in wanted[1:]:
        if kept.agrees(candidate) and not any(kept.pin) and any(candidate.pin):
            kept = candidate
    line = _render(kept, wanted)
    others: dict[str, list[TaskRef]] = {}
    for candidate in wanted:
        if not kept.agrees(candidate):
            others.setdefault(_render(candidate, [candidate]), []).append(candidate.task)
    if not others:
        return line, []
    name = kept.requirement.name if kept.requirement else kept.text
    supporters = _refs(item.task for item in wanted if kept.agrees(item))
    comments = []
    for other, refs in others.items():
        problems.append(f"conflicting requirements for '{name}'{scope}: '{line}' "
                        f"({supporters}) and '{other}' ({_refs(refs)}); the requirements "
                        f"keep '{line}'")
        comments.append(visible(f"# conflict: '{other}' is wanted by {_refs(refs)}; "
                                f"keeping '{line}'"))
    return line, comments


def _render(kept: _Wanted, wanted: list[_Wanted]) -> str:
    """The kept requirement with the extras any request of the package asked for."""
    if kept.requirement is None:
        return kept.text
    requirement = Requirement(str(kept.requirement))
    for item in wanted:
        if item.requirement is not None:
            requirement.extras |= item.requirement.extras
    return str(requirement)


def _merge_options(option_refs: dict[str, list[TaskRef]], scope: str, problems: list[str],
                   lines: list[str]) -> tuple[str, ...]:
    """Index options, with one --index-url: a second one is a conflict."""
    kept: list[str] = []
    index_url: str | None = None
    for option, refs in option_refs.items():
        if option.startswith("--index-url "):
            if index_url is not None:
                problems.append(f"conflicting index URLs{scope}: '{index_url}' "
                                f"({_refs(option_refs[index_url])}) and '{option}' "
                                f"({_refs(refs)}); the requirements keep '{index_url}'")
                lines.append(visible(f"# conflict: '{option}' is wanted by {_refs(refs)}; "
                                     f"keeping '{index_url}'"))
                continue
            index_url = option
        kept.append(option)
    kept.sort()
    lines.extend(kept)
    return tuple(kept)


def _refs(refs: Iterable[TaskRef]) -> str:
    return "; ".join(str(ref) for ref in dict.fromkeys(refs))
