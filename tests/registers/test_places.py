"""Registers on templates that are not the built-in one: each register lives in the template
section whose table (or decision block) declares it, found by its shape, so an unnumbered
template's `## Risks and Mitigations` table is the risks register (issue 13)."""

from __future__ import annotations

import httpx
import pytest

from signoff.docformat import parse_template
from signoff.registers.places import places
from signoff.templates.service import builtin
from tests.documents.conftest import docs_url
from tests.documents.test_template_styles import PROPOSAL_DOC, post_markdown, register
from tests.support.fixtures import assert_problem
from tests.support.identity import Actor

pytestmark = pytest.mark.requirement("REQ-019", "REQ-021")

SEED_NUMBERS = {
    "requirements": "1.3",
    "decisions": "3.3",
    "performance-goals": "10.1",
    "risks": "16.1",
    "questions": "16.2",
    "glossary": "17",
    "references": "B",
}

RFC_WITH_TABLES = """# Summary

One paragraph.

# Requirements

| Requirement ID | Requirement Summary | Design Section |
|---|---|---|
| | | |

# Unresolved questions

| Question | Owner | Target Resolution Date |
|---|---|---|
| | | |

# Decisions

#### Decision 1: [Title]

- **Context:** [Why]
- **Decision:** [What]
- **Consequences:** [Then]

# Words

| Term | Definition |
|---|---|
| | |
"""


def test_the_builtin_template_declares_every_register_at_its_seed_number() -> None:
    assert dict(places(builtin("backend-server").parsed)) == SEED_NUMBERS


def test_an_unnumbered_template_declares_registers_by_heading_path() -> None:
    found = places(parse_template(RFC_WITH_TABLES))
    assert dict(found) == {
        "requirements": "/requirements",
        "questions": "/unresolved-questions",
        "decisions": "/decisions",
        "glossary": "/words",
    }


def test_a_table_is_a_register_only_by_its_key_column_and_one_more() -> None:
    only_key = "## Risks\n\n| Risk |\n|---|\n| |\n\n## Notes\n\n| Item | Mitigation |\n|---|---|\n"
    assert dict(places(parse_template(only_key))) == {}


def test_front_matter_names_a_register_the_shapes_do_not_find() -> None:
    text = "---\nregisters:\n  risks: /hazards\n---\n\n## Hazards\n\nList them.\n"
    assert dict(places(parse_template(text))) == {"risks": "/hazards"}
    unknown = "---\nregisters:\n  risks: /nowhere\n  spells: /hazards\n---\n\n## Hazards\n"
    assert dict(places(parse_template(unknown))) == {}


async def test_an_unnumbered_documents_risk_table_is_its_risks_register(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    await register(client, owner, "kep", "proposal-template.md")
    imported = await post_markdown(client, owner, PROPOSAL_DOC)
    assert imported.status_code == 201, imported.text
    key = imported.json()["key"]
    risks = await client.get(docs_url(owner, f"/{key}/risks"), headers=owner.headers)
    assert risks.status_code == 200, risks.text
    assert [(i["fields"]["risk"], i["fields"]["mitigation"]) for i in risks.json()["items"]] == [
        ("Stale reads", "TTL of 5 s")
    ]
    created = await client.post(
        docs_url(owner, f"/{key}/risks"),
        json={"risk": "Cold cache", "likelihood": "low", "impact": "low", "mitigation": "Warm it"},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    text = (
        await client.get(
            docs_url(owner, f"/{key}"), headers=owner.headers | {"Accept": "text/markdown"}
        )
    ).text
    # Written into the author's own table, under its heading path; the table keeps its
    # columns and gains those the new row has values for.
    assert "| Risk | Likelihood | Impact | Mitigation | Status |" in text
    assert "| Stale reads | | | TTL of 5 s | |" in text
    assert "| Cold cache | Low | Low | Warm it | Open |" in text
    # The template declares no questions table: a clear 409, not an empty register.
    missing = await client.post(
        docs_url(owner, f"/{key}/questions"),
        json={"question": "Which TTL?", "owner": "Maya", "target_date": "2027-01-01"},
        headers=owner.headers,
    )
    assert_problem(missing, 409, "register_section_missing")
    assert "org:kep@1" in missing.json()["detail"]
