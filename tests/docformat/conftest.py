"""Shared fixtures: the seed template (as shipped) and the filled-in example document."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from signoff.docformat import ParsedDocument, Template, parse_document, parse_template

FIXTURES = Path(__file__).parent / "fixtures"


def seed_markdown() -> str:
    return (resources.files("signoff.templates") / "builtin" / "backend-server.md").read_text(
        encoding="utf-8"
    )


def filled_markdown() -> str:
    return (FIXTURES / "filled-document.md").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_text() -> str:
    return seed_markdown()


@pytest.fixture(scope="session")
def template() -> Template:
    return parse_template(seed_markdown())


@pytest.fixture(scope="session")
def filled_text() -> str:
    return filled_markdown()


@pytest.fixture(scope="session")
def filled(template: Template) -> ParsedDocument:
    return parse_document(filled_markdown(), template)
