"""Registers: requirements, decisions, performance goals, risks, open questions, glossary and
references, as live rows projected from the document's tables."""
