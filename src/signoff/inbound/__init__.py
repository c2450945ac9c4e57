"""Inbound events: an upstream requirements system creates, updates and retires requirements
in documents' §1.3 registers through signed, idempotent events (HTTP or NATS)."""
