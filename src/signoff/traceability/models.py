"""Link targets (API operations from attached OpenAPI documents, tests from attached JUnit
reports) and the trace links between requirements, sections, operations and tests."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from signoff.core.db import Base
from signoff.core.types import JSONType, UTCDateTime, new_id


class ApiSpec(Base):
    """One attachment of an OpenAPI document to a design document (the last one counts)."""

    __tablename__ = "api_spec"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    api_version: Mapped[str] = mapped_column(String(100))
    openapi: Mapped[str] = mapped_column(String(20))
    raw: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(200))


class ApiOperation(Base):
    __tablename__ = "api_operation"
    __table_args__ = (UniqueConstraint("spec_id", "operation_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    spec_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_spec.id", ondelete="CASCADE"))
    operation_id: Mapped[str] = mapped_column(String(300))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(1000))
    summary: Mapped[str] = mapped_column(String(1000))
    content_hash: Mapped[str] = mapped_column(String(64))
    # Requirements the operation says it implements (`x-requirements` in the spec).
    requirements: Mapped[list[str]] = mapped_column(JSONType)


class TestRun(Base):
    __tablename__ = "test_run"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    flavour: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(200))


class TestResult(Base):
    __tablename__ = "test_result"
    __table_args__ = (UniqueConstraint("run_id", "test_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("test_run.id", ondelete="CASCADE"))
    test_id: Mapped[str] = mapped_column(String(1000))
    name: Mapped[str] = mapped_column(String(1000))
    outcome: Mapped[str] = mapped_column(String(10))
    time_s: Mapped[float]
    message: Mapped[str | None] = mapped_column(Text)
    # Requirements the test says it proves (a `requirement` property in the report).
    requirements: Mapped[list[str]] = mapped_column(JSONType)


class TraceLink(Base):
    """requirement → section | operation | test, section → operation, operation → test.

    The hashes of both ends are recorded when the link is made or confirmed; when either end
    changes the link is suspect until someone confirms it again.
    """

    __tablename__ = "trace_link"
    __table_args__ = (
        UniqueConstraint("document_id", "source_kind", "source_ref", "target_kind", "target_ref"),
        Index("ix_trace_link_document_id_target", "document_id", "target_kind", "target_ref"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    source_kind: Mapped[str] = mapped_column(String(12))
    source_ref: Mapped[str] = mapped_column(String(300))
    target_kind: Mapped[str] = mapped_column(String(12))
    target_ref: Mapped[str] = mapped_column(String(1000))
    # manual (the API), table (§1.3's Design Section column), spec (x-requirements),
    # report (a test's requirement property)
    origin: Mapped[str] = mapped_column(String(10))
    source_hash: Mapped[str] = mapped_column(String(64))
    target_hash: Mapped[str] = mapped_column(String(64))
    suspect: Mapped[bool] = mapped_column(default=False)
    suspect_reason: Mapped[str | None] = mapped_column(String(300))
    suspect_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by: Mapped[str | None] = mapped_column(String(200))
    # Why the link still holds, in the words of whoever confirmed it last.
    confirmation_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(200))
