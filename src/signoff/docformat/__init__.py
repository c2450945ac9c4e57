"""docformat: Signoff's design-document format, as a pure library (no web, no database)."""
