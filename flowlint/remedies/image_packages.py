"""The packages an image built for a task must hold: what its per-execution installs asked for,
as lines a generated requirements.txt or Dockerfile can carry.

The custom-image fix (flowlint.remedies.custom_image) and `flowlint image`
(flowlint.remedy_files.image_contexts) read installs through this one module, so the fix
removes exactly what the build context installs. Every value comes from a flow file someone
else may have written: each is validated before it may be written into a generated file.
"""

from __future__ import annotations

import re

from flowlint.lang.installs import Install
from flowlint.lang.requirements import parse_requirement, requirement_name
from flowlint.records import NamedTuple

CONDA_TOOLS = frozenset({"conda", "mamba", "micromamba"})
ECOSYSTEM_LABELS = {"node": "Node.js", "r": "R", "julia": "Julia", "system": "system"}
# The system package managers whose installs an image can hold, by the name its Dockerfile
# line uses (`apt` and `apt-get` install the same packages).
SYSTEM_MANAGERS = {"apt-get": "apt-get", "apt": "apt-get", "apk": "apk", "yum": "yum",
                   "dnf": "dnf", "microdnf": "microdnf"}
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
# A system package as apt, apk, yum and dnf name it, with an optional version: one word with
# no shell character (the Dockerfile quotes it anyway).
_SYSTEM_PACKAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9+._-]*(?:(?:=|>=|<=|~=|>|<|~)"
                             r"[A-Za-z0-9+._:~-]+)?")


class ImagePackages(NamedTuple):
    """What an image holds for its tasks: Python requirements and index options (as
    requirements.txt lines) and system packages by package manager."""

    requirements: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    system: tuple[tuple[str, tuple[str, ...]], ...] = ()   # (manager, packages), by manager

    def __bool__(self) -> bool:
        return bool(self.requirements or self.options or self.system)

    def union(self, other: ImagePackages) -> ImagePackages:
        """Both lists, in order, each line once."""
        system = dict(self.system)
        for manager, packages in other.system:
            system[manager] = _unique((*system.get(manager, ()), *packages))
        return ImagePackages(_unique((*self.requirements, *other.requirements)),
                             _unique((*self.options, *other.options)),
                             tuple(sorted(system.items())))

    def same_as(self, other: ImagePackages) -> bool:
        """The same lines, whatever their order."""
        return (sorted(self.requirements), sorted(self.options),
                [(manager, sorted(packages)) for manager, packages in self.system]) == \
            (sorted(other.requirements), sorted(other.options),
             [(manager, sorted(packages)) for manager, packages in other.system])

    def summary(self) -> str:
        """'pandas==2.2, requests; apt-get: jq' for messages."""
        parts = [", ".join((*self.options, *self.requirements))] if \
            (self.requirements or self.options) else []
        parts += [f"{manager}: {', '.join(packages)}" for manager, packages in self.system]
        return "; ".join(parts) or "no packages"


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


class PackageList:
    """Packages gathered install by install; what cannot be written ahead of the run is a
    problem, each naming the install it comes from (`where`)."""

    __slots__ = ("requirements", "options", "system", "problems")

    def __init__(self) -> None:
        self.requirements: list[str] = []
        self.options: list[str] = []
        self.system: dict[str, list[str]] = {}
        self.problems: list[str] = []

    def packages(self) -> ImagePackages:
        system = tuple(sorted((manager, _unique(tuple(packages)))
                              for manager, packages in self.system.items() if packages))
        return ImagePackages(_unique(tuple(self.requirements)), _unique(tuple(self.options)),
                             system)

    def add_install(self, install: Install, where: str) -> None:
        """A shell or script install of the task; `where` quotes it for problems."""
        if install.ecosystem == "system":
            self._add_system(install, where)
        elif install.ecosystem == "python":
            self._add_python(install, where)
        else:
            label = ECOSYSTEM_LABELS.get(install.ecosystem, install.ecosystem)
            self.problems.append(f"{where} installs {label} packages, which "
                                 "`flowlint image` does not bake into images: set containerImage "
                                 "to an image of your own that holds them")

    def _add_system(self, install: Install, where: str) -> None:
        manager = SYSTEM_MANAGERS.get(install.tool)
        if manager is None:
            self.problems.append(f"{where} uses {install.tool}, which `flowlint image` does not "
                                 "write installs for")
            return
        if install.local_paths or install.urls:
            self.problems.append(f"{where} installs a local file or a URL: it cannot be "
                                 "installed ahead of the run")
            return
        packages = self.system.setdefault(manager, [])
        for package in install.packages:
            problem = system_package_problem(package)
            if problem is None:
                packages.append(package)
            else:
                self.problems.append(f"{where}: '{package}' {problem}")

    def _add_python(self, install: Install, where: str) -> None:
        if install.upgrades_pip_only:
            return
        if install.tool in CONDA_TOOLS:
            self.problems.append(f"{where} installs conda packages, not pip ones: add them by "
                                 "hand")
            return
        for name in install.requirement_files:
            self.problems.append(f"{where} reads requirements file '{name}' (-r): copy its "
                                 "content into the requirements by hand")
        for name in install.constraint_files:
            self.problems.append(f"{where} reads constraints file '{name}' (-c): apply it by "
                                 "hand")
        for name in install.editables:
            self.problems.append(f"{where} installs '{name}' in editable mode (-e) from the "
                                 "task's files: it cannot be installed ahead of the run")
        for name in install.local_paths:
            self.problems.append(f"{where} installs the local path '{name}' from the task's "
                                 "files: it cannot be installed ahead of the run")
        for spec in (*install.packages, *install.urls):
            self.add_requirement(spec, where)
        for name, value in install.options:
            self._add_option(name, value, where)
        nothing = not (install.packages or install.urls or install.requirement_files
                       or install.editables or install.local_paths)
        if nothing and install.tool in ("poetry", "pipenv"):
            self.problems.append(f"{where} installs what the project file (pyproject.toml, "
                                 "Pipfile) lists: add those packages by hand")

    def add_requirements_line(self, line: str, where: str) -> None:
        """A line of a legacy `requirements` list, which uses requirements.txt syntax."""
        line = re.split(r"\s+#", line, maxsplit=1)[0].strip()
        if not line or line.startswith("#"):
            return
        if not line.startswith("-"):
            if line.startswith((".", "/", "~")) or (line.endswith(_ARCHIVES)
                                                    and "://" not in line):
                self.problems.append(f"{where} is a local path: it cannot be installed ahead "
                                     "of the run")
            else:
                self.add_requirement(line, where)
            return
        name, value = _split_option(line)
        if name in ("-r", "--requirement"):
            self.problems.append(f"{where} reads a requirements file: copy its content into "
                                 "the requirements by hand")
        elif name in ("-c", "--constraint"):
            self.problems.append(f"{where} reads a constraints file: apply it by hand")
        elif name in ("-e", "--editable"):
            self.problems.append(f"{where} is an editable install: it cannot be installed "
                                 "ahead of the run")
        else:
            self._add_option(name, value or None, where)

    def add_requirement(self, spec: str, where: str) -> None:
        spec = spec.strip()
        problem = requirement_problem(spec)
        if problem is not None:
            self.problems.append(f"{where}: '{spec}' {problem}")
        elif is_url(spec) or requirement_name(spec) != "pip":
            self.requirements.append(spec)

    def _add_option(self, name: str, value: str | None, where: str) -> None:
        if name in _UV_INDEX_OPTIONS:
            self.problems.append(f"{where}: uv option '{name}' has no requirements-file form: "
                                 "add the index by hand")
            return
        canonical = _INDEX_OPTIONS.get(name)
        if canonical is None:
            return   # where and how to install (-U, --user, --target...) is the remedy's choice
        if canonical in _FLAG_OPTIONS:
            self.options.append(canonical)
        elif value and _run_time_problem(value) is not None:
            self.problems.append(f"{where}: '{name} {value}' is known only at run time: add it "
                                 "by hand")
        elif value:
            problem = option_value_problem(canonical, value)
            if problem is None:
                self.options.append(f"{canonical} {value}")
            else:
                self.problems.append(f"{where}: '{name} {value}': {problem}")


def _split_option(line: str) -> tuple[str, str]:
    """'--index-url=X', '--index-url X', '-iX' or '-i X' -> (name, value)."""
    first, _, rest = line.partition(" ")
    if first.startswith("--"):
        name, eq, attached = first.partition("=")
        return name, attached if eq else rest.strip()
    if len(first) > 2:
        return first[:2], first[2:]
    return first, rest.strip()


def requirement_problem(spec: str) -> str | None:
    """Why `spec` is not written as one requirements.txt line, or None when it is."""
    late = _run_time_problem(spec)
    if late is not None:
        return late
    odd = _control_character(spec)
    if odd is not None:
        return f"holds the unprintable character {odd!r}, which no requirement has: left out"
    if is_url(spec):
        return None if _URL.fullmatch(spec) else "is not a URL of one word; add it by hand"
    requirement = parse_requirement(spec)
    if requirement is None:
        return "is not a requirement specifier; add it by hand"
    option = next((word for word in spec.split() if word.startswith("-")), None)
    if option is not None:
        # pip reads a requirements line's words from the first '-' on as options.
        return f"has the word '{option}', which pip reads as an option; add it by hand"
    if requirement.url is not None and not _URL.fullmatch(requirement.url):
        return f"has the URL '{requirement.url}', which is not one word; add it by hand"
    return None


def option_value_problem(option: str, value: str) -> str | None:
    """Why `value` is not written after `option` in requirements.txt, or None when it is."""
    odd = _control_character(value)
    if odd is not None:
        return f"the value holds the unprintable character {odd!r}: left out"
    if option == "--trusted-host":
        return None if _HOST.fullmatch(value) else \
            "the value is not a host name with an optional port; add it by hand"
    return None if _URL.fullmatch(value) else "the value is not a URL of one word; add it by hand"


def option_line_problem(line: str) -> str | None:
    """Why `line` is not an index option line a requirements.txt may hold, or None."""
    if line in _FLAG_OPTIONS:
        return None
    name, _, value = line.partition(" ")
    if name not in _INDEX_OPTIONS.values() or name in _FLAG_OPTIONS:
        return "is not an index option"
    return option_value_problem(name, value)


def system_package_problem(package: str) -> str | None:
    """Why `package` is not written into a Dockerfile's install line, or None."""
    late = _run_time_problem(package)
    if late is not None:
        return late
    if not _SYSTEM_PACKAGE.fullmatch(package):
        return "is not a package name (with an optional version) of one word; add it by hand"
    return None


def _run_time_problem(text: str) -> str | None:
    """Why `text` is known only when the task runs (Pebble, or shell expansion), or None."""
    if "{{" in text or "{%" in text:
        return "is a Pebble expression, known only at run time: it cannot be installed " \
            "ahead of the run"
    if "$" in text or "`" in text:
        return "is expanded by the shell at run time: it cannot be installed ahead of the run"
    return None


def _control_character(text: str) -> str | None:
    """The first character that is not printable (a line break, tab, NUL, ...), if any."""
    return next((char for char in text if not char.isprintable()), None)


def is_url(spec: str) -> bool:
    return "://" in spec.split("@", 1)[0] or bool(_VCS.match(spec))


