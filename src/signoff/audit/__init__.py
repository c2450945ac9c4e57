"""The audit log: every recorded event, append-only, hash-chained per organization."""
