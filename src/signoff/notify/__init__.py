"""Email notices: reviewers when a review is requested, authors when a verdict arrives, owners
when a question is overdue. The relay composes them; a sender loop sends them, with retries,
the way webhook deliveries are sent (ADR 0010, docs/design.md §9.1)."""
