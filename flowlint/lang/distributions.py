"""Python distributions (what pip installs): the modules they provide (what code imports), the
programs they put on PATH and the distributions they bring along.

The packages' own metadata (flowlint.lang.package_metadata) answers first. The small tables
here cover what it cannot tell: packages it does not hold, namespace families, what images hold
and what other libraries load by themselves. A table must only claim what is true for every
current release of the package, because FL010 reports on its answers; an unknown distribution
falls back to the rule that `foo-bar` provides the module `foo_bar`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from flowlint.lang.package_metadata import installed_with, metadata, program_sources
from flowlint.lang.requirements import canonical_name

# Distribution (canonical name) -> top-level modules, where they differ from the name.
_MODULES: dict[str, tuple[str, ...]] = {
    "amazon-ion": ("amazon",),
    "apache-airflow": ("airflow",),
    "apache-beam": ("apache_beam",),
    "attrs": ("attr", "attrs"),
    "beautifulsoup4": ("bs4",),
    "cx-oracle": ("cx_Oracle",),
    "databricks-sdk": ("databricks",),
    "databricks-sql-connector": ("databricks",),
    "delta-spark": ("delta",),
    "discord-py": ("discord",),
    "dnspython": ("dns",),
    "fpdf2": ("fpdf",),
    "gitpython": ("git",),
    "google-api-python-client": ("googleapiclient",),
    "grpcio": ("grpc",),
    "ibis-framework": ("ibis",),
    "kafka-python": ("kafka",),
    "msgpack-python": ("msgpack",),
    "mysql-connector-python": ("mysql",),
    "mysqlclient": ("MySQLdb",),
    "opencv-contrib-python": ("cv2",),
    "opencv-contrib-python-headless": ("cv2",),
    "opencv-python": ("cv2",),
    "opencv-python-headless": ("cv2",),
    "paho-mqtt": ("paho",),
    "pillow": ("PIL",),
    "protobuf": ("google",),
    "psycopg-binary": ("psycopg_binary",),
    "psycopg2-binary": ("psycopg2",),
    "pycryptodome": ("Crypto",),
    "pycryptodomex": ("Cryptodome",),
    "pygithub": ("github",),
    "pyjwt": ("jwt",),
    "pymongo": ("pymongo", "bson", "gridfs"),
    "pymupdf": ("fitz", "pymupdf"),
    "pyopenssl": ("OpenSSL",),
    "pypdf2": ("PyPDF2",),
    "pyserial": ("serial",),
    "python-dateutil": ("dateutil",),
    "python-docx": ("docx",),
    "python-dotenv": ("dotenv",),
    "python-jose": ("jose",),
    "python-magic": ("magic",),
    "python-multipart": ("multipart",),
    "python-pptx": ("pptx",),
    "python-slugify": ("slugify",),
    "python-telegram-bot": ("telegram",),
    "pyyaml": ("yaml",),
    "ruamel-yaml": ("ruamel",),
    "scikit-image": ("skimage",),
    "scikit-learn": ("sklearn",),
    "setuptools": ("setuptools", "pkg_resources", "_distutils_hack"),
    "snowflake-connector-python": ("snowflake",),
    "snowflake-snowpark-python": ("snowflake",),
    "snowflake-sqlalchemy": ("snowflake",),
    "weaviate-client": ("weaviate",),
    "websocket-client": ("websocket",),
}
# Families that share one namespace package: google-cloud-bigquery provides `google`.
_NAMESPACE_PREFIXES = {"google-": "google", "azure-": "azure", "dbt-": "dbt",
                       "backports-": "backports", "jaraco-": "jaraco"}


# Packages that other libraries load by themselves: a parquet engine, an Excel reader, a
# database driver named in a SQLAlchemy URL, a filesystem for `s3://` paths. Installing one
# without importing it is normal.
IMPLICITLY_USED = frozenset({
    "adlfs", "bottleneck", "cryptography", "cx-oracle", "db-dtypes", "duckdb-engine",
    "fastparquet", "fsspec", "gcsfs", "google-cloud-bigquery-storage", "html5lib", "jinja2",
    "lxml", "matplotlib", "mysql-connector-python", "mysqlclient", "numexpr", "odfpy",
    "openpyxl", "oracledb", "pandas-gbq", "psycopg", "psycopg-binary", "psycopg2",
    "psycopg2-binary", "pyarrow", "pymssql", "pymysql", "pyodbc", "pyxlsb", "s3fs",
    "snowflake-sqlalchemy", "sqlalchemy", "sqlalchemy-bigquery", "tables", "tabulate", "tzdata",
    "xlrd", "xlsxwriter",
})
# Installers and build tools: installing or upgrading them says nothing about the script.
TOOLING = frozenset({"pip", "setuptools", "wheel", "uv", "virtualenv", "pip-tools"})
# Programs of packages whose metadata cannot be read from a wheel (they ship sources only).
_PROGRAMS: dict[str, tuple[str, ...]] = {
    "pyspark": ("pyspark", "spark-submit", "spark-shell", "spark-sql", "spark-class"),
}

# What an image holds beyond the standard library, keyed by repository without tag. Read from
# the Dockerfiles in kestra-io/examples (dockerfiles/kestrapy.Dockerfile, pydata.Dockerfile);
# an image not listed here is unknown, and FL010 then makes no claim about missing modules.
_IMAGES: dict[str, tuple[str, ...]] = {
    "python": (),
    "ghcr.io/kestra-io/kestrapy": ("kestra", "amazon-ion", "loguru", "uv"),
    "ghcr.io/kestra-io/pydata": ("kestra", "pandas", "requests", "scikit-learn", "faker",
                                 "pyarrow", "sqlalchemy", "openai", "loguru", "amazon-ion"),
}
_DOCKER_HUB_PREFIXES = ("docker.io/library/", "index.docker.io/library/", "docker.io/",
                        "library/")
_BASE_PACKAGES = ("pip", "setuptools", "wheel")  # what python images and virtualenvs start with


def canonical(name: str) -> str:
    return canonical_name(name)


def modules_of(distribution: str) -> tuple[str, ...]:
    """Top-level modules a distribution provides (best knowledge)."""
    name = canonical(distribution)
    known = metadata(name)
    if known is not None and known.modules:
        return known.modules
    if name in _MODULES:
        return _MODULES[name]
    for prefix, module in _NAMESPACE_PREFIXES.items():
        if name.startswith(prefix):
            return (module,)
    return (name.replace("-", "_"),)


@lru_cache(maxsize=4096)   # a scan of the known distributions, for the same few modules
def distribution_of(module: str) -> str:
    """The distribution usually installed for a top-level module: 'yaml' -> 'pyyaml'."""
    for name, modules in _MODULES.items():
        if module in modules and not name.endswith("-binary"):
            return name
    return module.replace("_", "-")


def with_requirements(distributions: set[str]) -> set[str]:
    """The distributions plus what installing them brings along (transitively)."""
    return set(_with_requirements(frozenset(distributions)))


@lru_cache(maxsize=1024)
def _with_requirements(distributions: frozenset[str]) -> frozenset[str]:
    return frozenset(installed_with(distributions))


def programs_of(distributions: Iterable[str]) -> dict[str, str]:
    """Program -> distribution, for the programs installing `distributions` puts on PATH
    (what their dependencies provide included). For a distribution the metadata does not
    hold, the one guess is a program named like it (`papermill`)."""
    return dict(_programs_of(frozenset(canonical(name) for name in distributions)))


@lru_cache(maxsize=1024)
def _programs_of(names: frozenset[str]) -> tuple[tuple[str, str], ...]:
    found = program_sources(names)
    for name in sorted(installed_with(names)):
        for program in _PROGRAMS.get(name, ()):
            found.setdefault(program, name)
    for name in sorted(names):
        if metadata(name) is None and name not in _PROGRAMS:
            found.setdefault(name, name)
    return tuple(found.items())


def knows(distribution: str) -> bool:
    """Whether flowlint knows the distribution's programs (its metadata, or the table)."""
    name = canonical(distribution)
    return metadata(name) is not None or name in _PROGRAMS


def provides_command(distribution: str, program: str) -> bool:
    """Whether running `program` uses the distribution: `dbt` for dbt-duckdb, `papermill`..."""
    return program in programs_of([distribution])


@lru_cache(maxsize=64)
def image_distributions(image: str) -> frozenset[str] | None:
    """The distributions an image holds, or None when flowlint does not know the image."""
    reference = image.strip()
    if not reference or "{{" in reference or "{%" in reference:
        return None
    repository = re.split(r"[@]", reference, maxsplit=1)[0]
    last_slash = repository.rfind("/")
    colon = repository.rfind(":")
    if colon > last_slash:
        repository = repository[:colon]
    repository = repository.lower()
    for prefix in _DOCKER_HUB_PREFIXES:
        if repository.startswith(prefix):
            repository = repository[len(prefix):]
            break
    contents = _IMAGES.get(repository)
    if contents is None:
        return None
    return frozenset(canonical(name) for name in contents + _BASE_PACKAGES)


def fresh_virtualenv() -> frozenset[str]:
    return frozenset(_BASE_PACKAGES)
