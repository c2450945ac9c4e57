"""The process runtime: serving over HTTP, the background worker, probes, backups."""
