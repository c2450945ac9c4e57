"""The documents domain's use cases: changing documents, reading them, the lint policy."""
