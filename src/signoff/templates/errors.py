"""Errors of the templates domain."""

from signoff.core.errors import NotFoundError, UnprocessableError


class TemplateNotFound(NotFoundError):
    code = "template_not_found"
    title = "No such template"


class InvalidTemplate(UnprocessableError):
    code = "invalid_template"
    title = "The template's Markdown cannot be used"
