"""Size limits of every format, checked before anything is parsed or unpacked."""

from __future__ import annotations

MIB = 1024 * 1024

REQIF_MAX_BYTES = 4 * MIB
REQIF_MAX_OBJECTS = 10_000

XLSX_MAX_BYTES = 4 * MIB
XLSX_MAX_UNPACKED = 32 * MIB
XLSX_MAX_ROWS = 10_000

ZIP_MAX_BYTES = 4 * MIB
ZIP_MAX_UNPACKED = 32 * MIB
ZIP_MAX_FILES = 10_000
