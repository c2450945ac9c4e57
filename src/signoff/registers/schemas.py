"""Typed register rows for the API, and their conversion to and from the table's text."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from signoff.registers.codec import Row
from signoff.registers.kinds import Kind, level, parse_date, section_refs, target, truthy
from signoff.registers.models import RegisterItem

REQUIREMENT_ID = r"^[A-Za-z][A-Za-z0-9_.-]{0,49}$"
Level = Literal["low", "medium", "high"]
Text = Field(default="", max_length=5000)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RequirementIn(_Strict):
    requirement_id: str = Field(pattern=REQUIREMENT_ID, examples=["REQ-001"])
    summary: str = Field(min_length=1, max_length=2000)
    design_sections: list[str] = Field(
        default_factory=list, max_length=50, examples=[["3.3", "8.2"]]
    )
    title: str = Field(default="", max_length=300)
    parents: list[Annotated[str, Field(pattern=REQUIREMENT_ID)]] = Field(
        default_factory=list, max_length=50, examples=[["REQ-001"]]
    )

    @field_validator("design_sections")
    @classmethod
    def _numbers(cls, value: list[str]) -> list[str]:
        numbers = [n for v in value for n in section_refs(v)]
        if len(numbers) != len(value):
            raise ValueError("each entry must be a section number such as 3.3 or §3.3")
        return numbers


class DecisionIn(_Strict):
    title: str = Field(min_length=1, max_length=300)
    context: str = Text
    options: str = Text
    decision: str = Text
    rationale: str = Text
    consequences: str = Text
    status: Literal["proposed", "accepted", "rejected", "superseded"] = "proposed"
    superseded_by: str | None = Field(
        default=None, pattern=r"^DD-\d+( Decision \d+)?$", examples=["DD-7 Decision 2"]
    )


class PerformanceGoalIn(_Strict):
    metric: str = Field(min_length=1, max_length=300)
    target: str = Field(min_length=1, max_length=300, examples=["< 200 ms"])
    measurement: str = Text

    @field_validator("target")
    @classmethod
    def _number_and_unit(cls, value: str) -> str:
        if target(value)[1] is None:
            raise ValueError("the target needs a number and a unit, e.g. '< 200 ms'")
        return value


class RiskIn(_Strict):
    risk: str = Field(min_length=1, max_length=2000)
    likelihood: Level
    impact: Level
    mitigation: str = Text
    owner: str = Field(default="", max_length=200)
    status: Literal["open", "mitigating", "accepted", "closed"] = "open"


class QuestionIn(_Strict):
    question: str = Field(min_length=1, max_length=2000)
    owner: str = Field(
        default="",
        max_length=200,
        description="A member's name or email, or anyone's name (free text).",
    )
    target_date: date | None = Field(default=None, description="May be in the past: then overdue.")
    status: Literal["open", "resolved"] = "open"
    resolution: str = Text
    blocking: bool = False


class GlossaryIn(_Strict):
    term: str = Field(min_length=1, max_length=300)
    definition: str = Field(min_length=1, max_length=5000)


class ReferenceIn(_Strict):
    document: str = Field(min_length=1, max_length=500)
    version: str = Field(default="", max_length=100)
    relevance: str = Text


INPUTS: dict[str, type[_Strict]] = {
    "requirements": RequirementIn,
    "decisions": DecisionIn,
    "performance-goals": PerformanceGoalIn,
    "risks": RiskIn,
    "questions": QuestionIn,
    "glossary": GlossaryIn,
    "references": ReferenceIn,
}


def to_row(kind: Kind, item: BaseModel) -> Row:
    """The table text for a typed row (as a person would write it)."""
    data = item.model_dump()
    row: Row = {}
    for column in kind.columns:
        value = data.get(column.field)
        if column.field == "design_sections":
            row[column.field] = ", ".join(f"§{n}" for n in value or [])
        elif column.field == "parents":
            row[column.field] = ", ".join(value or [])
        elif isinstance(value, bool):
            row[column.field] = "Yes" if value else ""
        elif isinstance(value, date):
            row[column.field] = value.isoformat()
        elif column.field in ("likelihood", "impact", "status") and isinstance(value, str):
            row[column.field] = value.capitalize()
        elif value is not None:
            row[column.field] = str(value)
    if kind.name == "questions" and row.get("status") == "Open" and not data.get("resolution"):
        row["status"] = ""  # the template's table has no status column; add it only when used
    return {k: v for k, v in row.items() if v != ""}


def merged(kind: Kind, item: RegisterItem, changes: dict[str, Any]) -> BaseModel:
    """The typed row after a PATCH: current values (read from text) with ``changes``."""
    current = typed_fields(kind, item.fields)
    model = INPUTS[kind.name]
    current = {k: v for k, v in current.items() if k in model.model_fields}
    return model.model_validate(current | changes)


def typed_fields(kind: Kind, fields: Row) -> dict[str, Any]:
    """A row's text read as typed values (None where the text does not say)."""
    out: dict[str, Any] = dict(fields)
    if kind.name == "requirements":
        out["design_sections"] = section_refs(fields.get("design_sections", ""))
        out["parents"] = [p.strip() for p in fields.get("parents", "").split(",") if p.strip()]
    if kind.name == "risks":
        for name in ("likelihood", "impact"):
            out[name] = {1: "low", 2: "medium", 3: "high"}.get(level(fields.get(name)) or 0)
        out["status"] = (fields.get("status") or "open").lower()
    if kind.name == "questions":
        out["target_date"] = parse_date(fields.get("target_date"))
        out["blocking"] = truthy(fields.get("blocking"))
        out["status"] = "resolved" if (fields.get("status") or "").lower() == "resolved" else "open"
    if kind.name == "decisions":
        out["status"] = (fields.get("status") or "proposed").lower()
        out.pop("number", None)
    if kind.name == "performance-goals":
        op, value, unit = target(fields.get("target", ""))
        out.update(target_operator=op, target_value=value, target_unit=unit)
    return out


class RegisterItemRead(BaseModel):
    id: uuid.UUID
    kind: str
    position: int
    fields: dict[str, Any] = Field(description="The row's values: typed where the text says.")
    text: dict[str, str] = Field(description="The row exactly as in the document's table.")
    content_hash: str
    overdue: bool | None = Field(default=None, description="Questions: open and past due.")
    score: int | None = Field(default=None, description="Risks: likelihood x impact (1-9).")


class OrgRegisterItemRead(RegisterItemRead):
    document: str = Field(description="The document's key.")
    document_title: str


def read(kind: Kind, item: RegisterItem, today: date) -> RegisterItemRead:
    overdue = None
    if kind.name == "questions":
        overdue = bool(item.status == "open" and item.target_date and item.target_date < today)
    return RegisterItemRead(
        id=item.id,
        kind=kind.name,
        position=item.position,
        fields=typed_fields(kind, item.fields),
        text=item.fields,
        content_hash=item.content_hash,
        overdue=overdue,
        score=item.score if kind.name == "risks" else None,
    )


def validation_errors(exc_errors: list[Any]) -> list[dict[str, str]]:
    return [
        {"pointer": "/" + "/".join(str(p) for p in e["loc"]), "detail": e["msg"], "code": e["type"]}
        for e in exc_errors
    ]
