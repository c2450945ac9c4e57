"""parse_template on the seed and on templates with quirks."""

from __future__ import annotations

from signoff.docformat import Template, parse_template

SEED_NUMBERS = [
    "1", "1.1", "1.2", "1.3",
    "2", "2.1", "2.2", "2.3", "2.4",
    "3", "3.1", "3.2", "3.3", "3.4",
    "4", "4.1", "4.2", "4.3", "4.4", "4.5",
    "5", "5.1", "5.2", "5.2.1", "5.2.2", "5.2.3", "5.2.4",
    "6", "6.1", "6.2", "6.3", "6.4", "6.5",
    "7", "7.1", "7.2", "7.3", "7.4",
    "8", "8.1", "8.2", "8.3",
    "9", "9.1", "9.2", "9.3",
    "10", "10.1", "10.2", "10.3", "10.4", "10.5",
    "11", "11.1", "11.2", "11.3", "11.4", "11.5",
    "12", "12.1", "12.2", "12.3", "12.4", "12.5",
    "13", "13.1", "13.2", "13.3", "13.4",
    "14", "14.1", "14.2", "14.3",
    "15", "15.1", "15.2",
    "16", "16.1", "16.2",
    "17",
    "A", "A.1",
    "B",
]  # fmt: skip


def test_seed_has_every_numbered_section_in_order(template: Template) -> None:
    assert [s.number for s in template.walk()] == SEED_NUMBERS


def test_seed_tree_shape(template: Template) -> None:
    top = [s.number for s in template.sections]
    assert top == [str(n) for n in range(1, 18)] + ["A", "B"]
    five_two = template.get("5.2")
    assert five_two is not None
    assert [c.number for c in five_two.children] == ["5.2.1", "5.2.2", "5.2.3", "5.2.4"]
    assert {c.level for c in five_two.children} == {4}


def test_seed_titles_levels_and_appendices(template: Template) -> None:
    intro, appendix_a, appendix_b = template.get("1"), template.get("A"), template.get("B")
    assert intro is not None
    assert (intro.title, intro.level) == ("Introduction", 2)
    assert appendix_a is not None
    assert appendix_a.title == "Supporting Diagrams"
    assert [(c.number, c.title) for c in appendix_a.children] == [("A.1", "[Diagram Title]")]
    assert appendix_b is not None
    assert appendix_b.title == "Reference Documents"


def test_title_pattern_and_document_control(template: Template) -> None:
    assert template.title_pattern == "Design Document: [Backend Server Name]"
    assert template.document_control.fields == (
        ("Version", "1.0"),
        ("Status", "Draft / In Review / Approved"),
        ("Last Updated", "YYYY-MM-DD"),
        ("Author(s)", ""),
        ("Reviewers", ""),
    )


def test_tables_carry_their_columns(template: Template) -> None:
    traceability = template.get("1.3")
    assert traceability is not None
    assert [t.columns for t in traceability.tables] == [
        ("Requirement ID", "Requirement Summary", "Design Section")
    ]
    assert traceability.tables[0].rows == (("REQ-XXX", "", "§X.X"),)
    goals = template.get("10.1")
    assert goals is not None
    assert [row[0] for row in goals.tables[0].rows] == [
        "Response time (p50)",
        "Response time (p99)",
        "Throughput",
        "Error rate",
    ]


def test_guidance_is_the_prose_under_the_heading(template: Template) -> None:
    traceability, appendix = template.get("1.3"), template.get("A.1")
    assert traceability is not None
    assert appendix is not None
    assert traceability.guidance == (
        "Map each requirement from the source requirements document to the sections in "
        "this design that address it."
    )
    assert (
        appendix.guidance == "**Purpose:** Describe what this diagram illustrates.\n\n*[Diagram]*"
    )


def test_decision_block(template: Template) -> None:
    decisions = template.get("3.3")
    assert decisions is not None
    (block,) = decisions.blocks
    assert block.heading == "Decision 1: [Title]"
    assert block.level == 4
    assert block.fields == (
        "Context",
        "Options Considered",
        "Decision",
        "Rationale",
        "Consequences",
    )
    assert block.repeat_note == "Repeat for each significant architectural decision"
    assert block.matches("Decision 12: Use PostgreSQL")
    assert not block.matches("Rationale")


def test_endpoint_block_fields_include_nested_labels(template: Template) -> None:
    endpoints = template.get("4.3")
    assert endpoints is not None
    (block,) = endpoints.blocks
    assert block.heading == "[Endpoint Name]"
    assert block.fields[:6] == (
        "Purpose",
        "Method and Path",
        "Authentication",
        "Authorization",
        "Request",
        "Headers",
    )
    assert block.fields[-3:] == ("Error Responses", "Rate Limiting", "Example")
    assert block.repeat_note == "Repeat for each endpoint"
    assert endpoints.guidance == "Document each API endpoint provided by this server."


def test_entity_block_has_its_table_and_workflow_block_no_repeat(template: Template) -> None:
    entities, workflows = template.get("6.2"), template.get("8.3")
    assert entities is not None
    assert workflows is not None
    (entity,) = entities.blocks
    assert [t.columns for t in entity.tables] == [
        ("Attribute", "Type", "Constraints", "Description")
    ]
    assert entities.tables == ()
    assert entities.all_tables() == entity.tables
    (workflow,) = workflows.blocks
    assert (workflow.heading, workflow.repeat_note) == ("[Workflow Name]", None)
    assert workflow.fields == ("Description", "Steps", "Error Handling")
    assert workflows.diagram_note == "Activity diagram if the workflow is complex."


def test_diagram_and_repeat_notes(template: Template) -> None:
    with_diagram = [s.number for s in template.walk() if s.diagram_note is not None]
    assert with_diagram == ["2.4", "3.4", "5.2.4", "6.5", "8.3"]
    component, dependencies = template.get("5.2"), template.get("5.2.4")
    assert component is not None
    assert dependencies is not None
    assert component.repeat_note == "Repeat for each significant component"
    assert dependencies.repeat_note is None


def test_mojibake_is_repaired(template: Template) -> None:
    traceability = template.get("1.3")
    assert traceability is not None
    assert "§X.X" in traceability.body
    assert "Â" not in "".join(s.body for s in template.walk())


def test_line_endings_do_not_matter(seed_text: str, template: Template) -> None:
    assert parse_template(seed_text.replace("\n", "\r\n")) == template
    assert parse_template("\ufeff" + seed_text.replace("\n", "\r")) == template


def test_unknown_headings_are_kept_as_unnumbered_sections() -> None:
    template = parse_template(
        "# Design Document: [Name]\n\n## 1. Intro\n\n### Background\n\nWhy.\n\n"
        "## Notes\n\nFree text.\n\n```\n## 2. Inside a fence\n```\n"
    )
    assert [(s.number, s.title, s.level) for s in template.walk()] == [
        ("1", "Intro", 2),
        (None, "Background", 3),
        (None, "Notes", 2),
    ]
    notes = template.sections[1]
    assert "## 2. Inside a fence" in notes.body


def test_body_is_verbatim(template: Template) -> None:
    decisions = template.get("3.3")
    assert decisions is not None
    assert decisions.body.startswith("Document significant decisions that shaped the architecture.")
    assert decisions.body.endswith("*(Repeat for each significant architectural decision)*")
