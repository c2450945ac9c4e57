"""Errors of the registers domain."""

from signoff.core.errors import (
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    UnprocessableError,
)


class ItemNotFound(NotFoundError):
    code = "register_item_not_found"
    title = "No such register item"


class RegisterSectionMissing(ConflictError):
    code = "register_section_missing"
    title = "The document has no section for this register"


class DuplicateKey(ConflictError):
    code = "duplicate_register_key"
    title = "A row with this key exists in the register"


class InvalidRegisterItem(UnprocessableError):
    code = "validation_failed"
    title = "The register item is not valid"


class ImportRefused(UnprocessableError):
    code = "import_refused"
    title = "The file is refused; nothing was imported"


class ImportTooLarge(PayloadTooLargeError):
    code = "import_too_large"
    title = "The file is over a size limit; nothing was imported"
