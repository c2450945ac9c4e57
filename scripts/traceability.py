"""Signoff's own traceability, computed by Signoff: the CI step after the tests.

    python scripts/traceability.py build/junit-postgresql.xml [--out build/traceability.md]

Runs Signoff in-process on a throw-away SQLite database, signs up, imports docs/design.md,
attaches Signoff's own OpenAPI document and the pytest JUnit report (whose test properties
name the requirements each test proves, see tests/conftest.py), then prints the coverage
figures and writes the full matrix as Markdown. Everything goes through the public HTTP API,
as a user would do it.

Exits non-zero when the design document is inconsistent with itself or with the code: a
requirement without a design section, a reference to a section that does not exist, or an
operation of the OpenAPI document that §4.3 does not name. Untested requirements are reported,
not failed: some are planned work, and the figure is what the matrix is for.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from signoff.app import create_app
from signoff.core.config import (
    AuthSettings,
    DatabaseSettings,
    Environment,
    LogSettings,
    Settings,
    WorkerSettings,
)
from signoff.core.logging import configure_logging
from signoff.core.services import Services
from signoff.migrations.runner import upgrade

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "traceability-check-" + "x" * 12


def fail_on_error(response: httpx.Response) -> httpx.Response:
    if response.is_error:
        sys.exit(
            f"{response.request.method} {response.request.url}: {response.status_code}\n"
            f"{response.text}"
        )
    return response


async def trace(database: DatabaseSettings, report: bytes) -> tuple[dict[str, Any], str]:
    """(figures, Markdown matrix) for docs/design.md with `report` attached."""
    settings = Settings(
        env=Environment.TEST,
        database=database,
        auth=AuthSettings(argon2_memory_kib=8192, argon2_time_cost=1),
        worker=WorkerSettings(in_process=False),
        log=LogSettings(level="WARNING", format="console"),
    )
    configure_logging(settings.log.level, "console")
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://signoff.ci") as http:
        fail_on_error(
            await http.post(
                "/v1/auth/signup",
                json={
                    "email": "ci@example.com",
                    "password": PASSWORD,
                    "name": "CI",
                    "org_name": "Signoff",
                    "org_slug": "signoff",
                },
            )
        )
        token = fail_on_error(
            await http.post(
                "/v1/auth/token",
                data={
                    "grant_type": "password",
                    "username": "ci@example.com",
                    "password": PASSWORD,
                },
            )
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        design = (ROOT / "docs" / "design.md").read_bytes()
        document = fail_on_error(
            await http.post(
                "/v1/orgs/signoff/documents",
                content=design,
                headers=auth | {"Content-Type": "text/markdown"},
            )
        ).json()
        base = f"/v1/orgs/signoff/documents/{document['key']}"
        spec = fail_on_error(
            await http.post(
                f"{base}/openapi",
                content=json.dumps(app.openapi()).encode(),
                headers=auth | {"Content-Type": "application/json"},
            )
        ).json()
        run = fail_on_error(
            await http.post(
                f"{base}/test-results",
                content=report,
                headers=auth | {"Content-Type": "application/xml"},
            )
        ).json()
        coverage = fail_on_error(await http.get(f"{base}/traceability", headers=auth)).json()[
            "coverage"
        ]
        markdown = fail_on_error(
            await http.get(f"{base}/traceability", headers=auth | {"Accept": "text/markdown"})
        ).text
    await Services.of(app).db.dispose()
    return {"operations": spec["operations"], "outcomes": run["outcomes"]} | coverage, markdown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("report", type=Path, help="pytest --junitxml output")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "traceability.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database = DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp}/trace.db")
        upgrade(database)
        figures, markdown = asyncio.run(trace(database, args.report.read_bytes()))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown)
    print(f"Signoff's own traceability, from {args.report.name} (matrix: {args.out}):")
    for name, value in figures.items():
        print(f"  {name}: {value}")
    if figures["without_section"] or figures["sections_referenced_missing"]:
        sys.exit("docs/design.md §1.3 is inconsistent with its sections: see above")
    if figures["undocumented_operations"]:
        sys.exit("operations missing from docs/design.md §4.3: add them to its table")


if __name__ == "__main__":
    main()
