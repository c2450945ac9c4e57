"""What the database can hold, for schemas at every layer (no web framework here): every
integer a request carries is declared with ``le=DB_INT_MAX`` (core/inputs.py has the rest)."""

from __future__ import annotations

# The smallest integer column either backend has (PostgreSQL's `integer`).
DB_INT_MAX = 2**31 - 1
