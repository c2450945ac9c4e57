from tests.documents.conftest import filled, owner

__all__ = ["filled", "owner"]
