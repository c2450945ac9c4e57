"""Pure predicates for who may change whose membership. No I/O, no framework."""

from __future__ import annotations

from signoff.core.permissions import Role


def may_set_role(actor: Role, current: Role | None, new: Role) -> bool:
    """Admins manage roles up to admin; only owners grant, change or take ownership."""
    if actor == Role.OWNER:
        return True
    if actor != Role.ADMIN:
        return False
    return new <= Role.ADMIN and (current is None or current <= Role.ADMIN)


def may_remove(actor: Role, target: Role, *, is_self: bool) -> bool:
    """Anyone may leave; admins remove up to admins; owners remove anyone."""
    if is_self:
        return True
    return may_set_role(actor, target, Role.VIEWER)


def leaves_an_owner(owners: int, current: Role, new: Role | None) -> bool:
    """Whether, after the change, at least one owner remains."""
    if current != Role.OWNER or new == Role.OWNER:
        return True
    return owners > 1


def claimable_role(claimed: str | None, default: Role) -> Role:
    """The role an identity provider's org claim may grant: never ownership."""
    if claimed is None:
        return default
    try:
        role = Role.parse(claimed)
    except KeyError:
        return default
    return min(role, Role.ADMIN)
