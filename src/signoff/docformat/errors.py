"""Errors raised by docformat: every failure on user input is a `DocFormatError`."""

from __future__ import annotations

from signoff.input_errors import PositionedError


class DocFormatError(PositionedError):
    """A Markdown document or template that docformat refuses, with where and why.

    `code` is stable snake_case (the server maps it to a problem type); `line` and
    `column` are 1-based positions in the text as given, when known.
    """

    code = "doc_format_error"


class FrontMatterError(DocFormatError):
    """The YAML front matter is not valid YAML."""

    code = "front_matter_invalid_yaml"


class FrontMatterNotMapping(DocFormatError):
    """The YAML front matter is valid YAML but not a mapping of fields."""

    code = "front_matter_not_mapping"


class FrontMatterUnterminated(DocFormatError):
    """The front matter opens with `---` and never closes."""

    code = "front_matter_unterminated"


class FrontMatterFieldInvalid(DocFormatError):
    """A Document Control field in the front matter has the wrong shape."""

    code = "front_matter_field_invalid"


class FrontMatterTooComplex(DocFormatError):
    """The front matter nests or aliases too much to be document metadata."""

    code = "front_matter_too_complex"


class DocumentTooLarge(DocFormatError):
    """The document exceeds `Limits.max_document_bytes`."""

    code = "document_too_large"


class SectionTooLarge(DocFormatError):
    """A section body exceeds `Limits.max_section_bytes`."""

    code = "section_too_large"


class TooManySections(DocFormatError):
    """The document has more sections than `Limits.max_sections`."""

    code = "too_many_sections"


class NestingTooDeep(DocFormatError):
    """Lists or block quotes nest deeper than `Limits.max_nesting_depth`."""

    code = "nesting_too_deep"


class InvalidSectionBody(DocFormatError):
    """A section body would not survive being placed in a document (see `check_section_body`)."""

    code = "invalid_section_body"


class HeadingPathTooLong(DocFormatError):
    """An unnumbered template heading whose path (its and its ancestors' titles as slugs) is
    longer than a section's template reference may be (`headings.MAX_KEY_LENGTH`)."""

    code = "heading_path_too_long"


class MissingTitle(DocFormatError):
    """Neither a `title` in the front matter, nor a `#` title heading, nor a title given."""

    code = "missing_title"
