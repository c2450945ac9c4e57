"""Documents: stored as immutable revisions of sections, imported from and exported to
Markdown, linted, searched."""
