"""The outbox relay: committed events leave for their channels (webhooks, email, NATS
JetStream)."""
