"""Regenerates package_metadata.json from the packages' own metadata on the package index.

    python -m flowlint.lang.package_index            # every package of PACKAGES
    python -m flowlint.lang.package_index dlt papermill   # add or refresh some

For each distribution the newest release's wheel is read where it lies (HTTP range requests
fetch only the zip's directory and three small files, never the whole wheel):
`entry_points.txt` gives the programs it puts on PATH, `top_level.txt` (or the wheel's file
list) the modules it provides, and METADATA's `Requires-Dist` what every install brings along
(requirements behind an extra are left out). Nothing here runs when flowlint checks a flow:
flowlint.lang.package_metadata reads the JSON this writes.
"""

from __future__ import annotations

import io
import json
import sys
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

from flowlint.lang.requirements import canonical_name

OUTPUT = Path(__file__).with_name("package_metadata.json")
INDEX = "https://pypi.org/pypi/{name}/json"
# The packages flows install most, their programs and their companions. A package missing
# here is unknown to flowlint, never assumed empty.
PACKAGES = """
airbyte-cdk aiven-client altair amazon-ion anthropic anyio apache-airflow apache-airflow-
core apache-beam apache-superset arrow attrs awscli awswrangler azure-identity azure-
storage-blob beautifulsoup4 black boto3 botocore bottleneck cassandra-driver catboost
certifi charset-normalizer click clickhouse-connect cryptography csvkit cx-oracle dagster
dask databricks-cli databricks-connect databricks-sdk databricks-sql-connector datasets db-
dtypes dbt-bigquery dbt-clickhouse dbt-core dbt-databricks dbt-duckdb dbt-postgres dbt-
redshift dbt-snowflake dbt-spark dbt-trino delta-spark deltalake dlt docker duckdb duckdb-
engine elasticsearch faker fastapi fastparquet feast flask fsspec gcsfs geopandas gitpython
google-api-python-client google-auth google-cloud-bigquery google-cloud-bigquery-storage
google-cloud-pubsub google-cloud-storage great-expectations gspread gunicorn h5py html5lib
httpie httpx huggingface-hub ibis-framework idna ipykernel ipython jinja2 jmespath joblib
jsonschema jupyter jupyter-client jupyter-core jupyter-server jupyterlab kafka-python kaggle
keras kestra langchain langchain-core langchain-openai lightgbm loguru lxml markupsafe
matplotlib meltano mlflow modin mypy nbclient nbconvert nbformat networkx nltk notebook
numexpr numpy odfpy openai opencv-python-headless openpyxl oracledb orjson pandas pandas-gbq
pandera papermill paramiko pendulum pillow pip plotly polars prefect prophet psycopg
psycopg-binary psycopg2 psycopg2-binary pyarrow pydantic pydantic-core pyjwt pymongo pymssql
pymysql pyodbc pyspark pytest python-dateutil python-dotenv pytz pyxlsb pyyaml redis
requests rich ruff s3fs s3transfer scikit-learn scipy seaborn sentence-transformers
setuptools simple-salesforce singer-python slack-sdk snowflake-connector-python snowflake-
snowpark-python snowflake-sqlalchemy soda-core spacy sqlalchemy sqlalchemy-bigquery sqlfluff
statsmodels streamlit tables tabulate tensorflow tiktoken toml torch tqdm transformers typer
typing-extensions tzdata urllib3 uv uvicorn virtualenv weaviate-client wheel xgboost xlrd
xlsxwriter yfinance
""".split()
# Where flows run: a Linux container or worker with a current CPython, no extra asked for.
_LINUX = {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
          "platform_machine": "x86_64", "python_version": "3.12", "python_full_version": "3.12.8",
          "implementation_name": "cpython", "platform_python_implementation": "CPython",
          "extra": ""}


class _RemoteFile(io.RawIOBase):
    """A seekable read-only view of a URL, fetched in ranges (enough for zipfile)."""

    def __init__(self, url: str) -> None:
        self.url = url
        request = urllib.request.Request(url, method="HEAD")
        with urllib.request.urlopen(request, timeout=60) as response:
            self.size = int(response.headers["Content-Length"])
        self.position = 0

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.position, 2: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer: bytearray) -> int:
        if self.position >= self.size or not len(buffer):
            return 0
        end = min(self.position + len(buffer), self.size) - 1
        wanted = {"Range": f"bytes={self.position}-{end}"}
        request = urllib.request.Request(self.url, headers=wanted)
        with urllib.request.urlopen(request, timeout=60) as response:
            data = response.read()
        buffer[:len(data)] = data
        self.position += len(data)
        return len(data)


def _release(name: str) -> dict:
    with urllib.request.urlopen(INDEX.format(name=name), timeout=60) as response:
        return json.load(response)


def _wheel_url(name: str, release: dict) -> str | None:
    """A wheel of the newest release: pure Python first, else one for CPython on Linux
    (an index may give its file addresses relative to the JSON's)."""
    wheels = [item for item in release["urls"] if item["packagetype"] == "bdist_wheel"]
    for preference in ("py3-none-any", "manylinux", ""):
        for item in wheels:
            if preference in item["filename"]:
                return urllib.parse.urljoin(INDEX.format(name=name), item["url"])
    return None


def _wheel_facts(url: str) -> tuple[list[str], list[str]]:
    """(programs, top-level modules) read from the wheel's dist-info."""
    with zipfile.ZipFile(io.BufferedReader(_RemoteFile(url), buffer_size=65536)) as wheel:
        names = wheel.namelist()
        info = next(name.split("/")[0] for name in names if ".dist-info/" in name)
        programs = _programs(wheel, f"{info}/entry_points.txt", names)
        if f"{info}/top_level.txt" in names:
            modules = wheel.read(f"{info}/top_level.txt").decode().split()
        else:
            modules = sorted({name.split("/")[0].removesuffix(".py") for name in names
                              if not name.split("/")[0].endswith((".dist-info", ".data"))})
    return programs, sorted({module for module in modules if module.isidentifier()})


def _programs(wheel: zipfile.ZipFile, path: str, names: list[str]) -> list[str]:
    scripts = [name.rsplit("/", 1)[1] for name in names if ".data/scripts/" in name]
    if path not in names:
        return sorted(scripts)
    section = ""
    for line in wheel.read(path).decode().splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line.strip("[]")
        elif "=" in line and section in ("console_scripts", "gui_scripts"):
            scripts.append(line.split("=", 1)[0].strip())
    return sorted(set(scripts))


def _requires(release: dict) -> list[str]:
    """Distributions every install brings along in a Linux container: Requires-Dist whose
    marker holds there, without an extra."""
    from packaging.requirements import InvalidRequirement, Requirement

    found = set()
    for line in release["info"].get("requires_dist") or []:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.marker is None or requirement.marker.evaluate(_LINUX):
            found.add(canonical_name(requirement.name))
    return sorted(found)


def describe(name: str) -> dict[str, object] | None:
    release = _release(name)
    url = _wheel_url(name, release)
    if url is None:
        print(f"{name}: no wheel to read; left out", file=sys.stderr)
        return None
    programs, modules = _wheel_facts(url)
    return {"version": release["info"]["version"], "programs": programs, "modules": modules,
            "requires": _requires(release)}


def main(argv: list[str]) -> int:
    table = json.loads(OUTPUT.read_text()) if OUTPUT.exists() else {}
    for name in argv or PACKAGES:
        try:
            entry = describe(name)
        except OSError as error:
            print(f"{name}: {error}; left as it was", file=sys.stderr)
            continue
        if entry is not None:
            table[canonical_name(name)] = entry
            print(f"{name} {entry['version']}: {len(entry['programs'])} program(s)")
    text = json.dumps(dict(sorted(table.items())), indent=1, sort_keys=True)
    OUTPUT.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
