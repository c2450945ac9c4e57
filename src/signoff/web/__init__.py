"""Server-rendered pages for people (docs/design.md §5): the same services as ``/v1``."""
