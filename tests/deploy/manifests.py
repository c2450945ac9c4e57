"""What the deployment tests share: the repository's paths and a check that a ``SIGNOFF_*``
variable names a real setting (a misspelt one is silently ignored by pydantic-settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from signoff.core.config import ENV_PREFIX, NESTED_DELIMITER, Settings

ROOT = Path(__file__).resolve().parents[2]


def is_setting(variable: str) -> bool:
    """Whether ``SIGNOFF_A__B`` (or ``SIGNOFF_A__B_FILE`` for a secret) names a setting."""
    if not variable.startswith(ENV_PREFIX):
        return False
    path = variable.removeprefix(ENV_PREFIX).lower().split(NESTED_DELIMITER.lower())
    if _field(path) is not None:
        return True
    if path[-1].endswith("_file"):
        field = _field([*path[:-1], path[-1].removesuffix("_file")])
        return field is not None and "SecretStr" in str(field.annotation)
    return False


def _field(path: list[str]) -> Any:
    model: type[BaseModel] = Settings
    field = None
    for part in path:
        field = model.model_fields.get(part)
        if field is None:
            return None
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
    return field
