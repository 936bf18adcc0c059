"""Python distributions (what pip installs) and the modules they provide (what code imports).

Small, hand-kept tables for the common cases; everything else falls back to the rule that a
distribution `foo-bar` provides the module `foo_bar`. A table here must only claim what is
true for every current release of the package, because FL010 reports on its answers.
"""

from __future__ import annotations

import re
from functools import lru_cache

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

# Hard dependencies that every release installs along with the package, so importing them
# works. Deliberately short: a missing entry costs a finding, a wrong one hides a real bug.
_REQUIRES: dict[str, tuple[str, ...]] = {
    "botocore": ("jmespath", "python-dateutil", "urllib3"),
    "boto3": ("botocore", "jmespath", "s3transfer"),
    "dlt": ("click", "fsspec", "gitpython", "humanize", "jsonpath-ng", "packaging", "pendulum",
            "pytz", "pyyaml", "requests", "semver", "simplejson", "tomlkit"),
    "flask": ("blinker", "click", "itsdangerous", "jinja2", "werkzeug"),
    "httpx": ("anyio", "certifi", "httpcore", "idna"),
    "jinja2": ("markupsafe",),
    "kestra": ("amazon-ion", "python-dateutil", "requests"),
    "matplotlib": ("contourpy", "cycler", "fonttools", "kiwisolver", "numpy", "packaging",
                   "pillow", "pyparsing", "python-dateutil"),
    "openai": ("anyio", "distro", "httpx", "pydantic", "sniffio", "tqdm", "typing-extensions"),
    "pandas": ("numpy", "python-dateutil", "tzdata"),
    "pydantic": ("annotated-types", "pydantic-core", "typing-extensions"),
    "requests": ("certifi", "charset-normalizer", "idna", "urllib3"),
    "scikit-learn": ("joblib", "numpy", "scipy", "threadpoolctl"),
    "scipy": ("numpy",),
    "seaborn": ("matplotlib", "numpy", "pandas"),
    "statsmodels": ("numpy", "packaging", "pandas", "patsy", "scipy"),
}

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
# Console commands whose name is not the distribution's.
_COMMANDS: dict[str, tuple[str, ...]] = {
    "awscli": ("aws",),
    "csvkit": ("csvclean", "csvcut", "csvformat", "csvgrep", "csvjoin", "csvjson", "csvlook",
               "csvsort", "csvsql", "csvstack", "csvstat", "in2csv", "sql2csv"),
    "great-expectations": ("great_expectations", "gx"),
    "httpie": ("http", "https"),
    "huggingface-hub": ("huggingface-cli", "hf"),
    "jupyter": ("jupyter",),
    "jupyterlab": ("jupyter",),
    "nbconvert": ("jupyter",),
    "notebook": ("jupyter",),
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
    if name in _MODULES:
        return _MODULES[name]
    for prefix, module in _NAMESPACE_PREFIXES.items():
        if name.startswith(prefix):
            return (module,)
    return (name.replace("-", "_"),)


def distribution_of(module: str) -> str:
    """The distribution usually installed for a top-level module: 'yaml' -> 'pyyaml'."""
    for name, modules in _MODULES.items():
        if module in modules and not name.endswith("-binary"):
            return name
    return module.replace("_", "-")


def with_requirements(distributions: set[str]) -> set[str]:
    """The distributions plus the hard dependencies they bring (transitively)."""
    found: set[str] = set()
    pending = [canonical(name) for name in distributions]
    while pending:
        name = pending.pop()
        if name not in found:
            found.add(name)
            pending.extend(_REQUIRES.get(name, ()))
    return found


def provides_command(distribution: str, program: str) -> bool:
    """Whether running `program` uses the distribution: `dbt` for dbt-duckdb, `papermill`..."""
    name, command = canonical(distribution), canonical(program)
    return (command == name or name.startswith(command + "-")
            or program in _COMMANDS.get(name, ()))


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
