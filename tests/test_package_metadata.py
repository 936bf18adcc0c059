"""The packages' own metadata, shipped as data: programs, modules and what installs bring."""

from __future__ import annotations

from flowlint.lang import distributions
from flowlint.lang.package_metadata import metadata


def test_programs_come_from_the_packages_entry_points() -> None:
    assert distributions.programs_of(["dlt"])["dlt"] == "dlt"
    assert distributions.programs_of(["papermill"])["papermill"] == "papermill"
    assert distributions.programs_of(["aiven-client"])["avn"] == "aiven-client"
    # An adapter brings the core, and the core the program.
    assert distributions.programs_of(["dbt-duckdb"])["dbt"] == "dbt-core"
    assert "jupyter" in distributions.programs_of(["nbconvert"])


def test_an_unknown_package_is_guessed_to_provide_its_own_name_only() -> None:
    assert metadata("surely-not-a-package-flowlint-knows") is None
    assert distributions.programs_of(["surely-not-a-package-flowlint-knows"]) == {
        "surely-not-a-package-flowlint-knows": "surely-not-a-package-flowlint-knows"}


def test_what_an_install_brings_along() -> None:
    assert {"boto3", "pandas", "pyarrow"} <= distributions.with_requirements({"awswrangler"})
    assert "numpy" in distributions.with_requirements({"pandas"})


def test_modules_come_from_the_wheel() -> None:
    assert distributions.modules_of("scikit-learn") == ("sklearn",)
    assert distributions.modules_of("beautifulsoup4") == ("bs4",)
