"""Codecs between Signoff's registers and the formats of neighbouring tools: ReqIF, CSV and
XLSX, MADR decision folders, PDF, SARIF. Pure functions, bytes in and out: no web framework,
no database, no other Signoff package, so the API, the CLI and the tests share them.

Every reader is all-or-nothing: it returns everything it read or raises ``ImportRejected``
with every finding (and where: a line, a row, an XML path). Every reader checks its size
limits before it parses (``limits``)."""

from signoff.exchange.findings import Finding, ImportRejected

__all__ = ["Finding", "ImportRejected"]
