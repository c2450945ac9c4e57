"""The delivery engine: what leaves the process after commit (webhook deliveries, email
notices) goes through one machine, a queue in the database with leased claims, a retry
schedule, per-destination circuits, logged attempts and one ``Outcome``. A domain plugs a
queue (its tables, fan-out and settle) and a sender (HTTP, SMTP) into it (ADR 0016)."""
