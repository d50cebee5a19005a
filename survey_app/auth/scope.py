"""What a signed-in user may see: their own organisations by name, everyone else anonymised.

Every query of provider or patient-level data takes a :class:`Scope`. Views start with
``org = current_scope().require_provider(org_code)``, which answers 404 for an
organisation outside the scope exactly as for one that does not exist, so changing a code
in a URL reveals nothing, not even whether the code is real.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import abort
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Organisation, StaffUser


def peer_letter(index: int) -> str:
    """Return the spreadsheet-style letter for ``index``: 0 → A, 25 → Z, 26 → AA, …"""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


@dataclass(frozen=True)
class Scope:
    """The organisations whose data a user may see by name (administrators: all)."""

    is_admin: bool
    provider_ids: frozenset[int]

    @classmethod
    def for_user(cls, user: StaffUser | None) -> Scope:
        """Return the scope of ``user``; nobody (None or inactive) sees nothing."""
        if user is None or not user.active:
            return cls(is_admin=False, provider_ids=frozenset())
        return cls(
            is_admin=user.is_administrator,
            provider_ids=frozenset(m.organisation_id for m in user.memberships),
        )

    @classmethod
    def for_providers(cls, provider_ids: Iterable[int]) -> Scope:
        """Return the scope of someone who belongs to ``provider_ids`` (e.g. one provider's
        report built by a batch job, which must anonymise peers exactly as the portal)."""
        return cls(is_admin=False, provider_ids=frozenset(provider_ids))

    def can_see(self, organisation_id: int) -> bool:
        """Say whether this scope may see the organisation's data by name."""
        return self.is_admin or organisation_id in self.provider_ids

    def require_provider(self, code: str) -> Organisation:
        """Return the provider with ``code`` if the scope covers it; otherwise 404."""
        org = db.session.scalar(
            select(Organisation).where(
                Organisation.code == code, Organisation.type_code == "provider"
            )
        )
        if org is None or not self.can_see(org.id):
            abort(404)
        return org

    def visible_providers(self) -> list[Organisation]:
        """Return the providers this scope may open, by code."""
        query = select(Organisation).where(Organisation.type_code == "provider")
        if not self.is_admin:
            query = query.where(Organisation.id.in_(self.provider_ids))
        return list(db.session.scalars(query.order_by(Organisation.code)))

    def peer_labels(self, provider_ids: Iterable[int]) -> dict[int, str]:
        """Name each provider in a comparison: own ones by name, others "Provider A", …

        Peers are lettered in order of organisation code, so within one comparison the
        same peer has the same letter on every page and in every report.
        """
        ids = set(provider_ids)
        rows = db.session.execute(
            select(Organisation.id, Organisation.code, Organisation.name)
            .where(Organisation.id.in_(ids))
            .order_by(Organisation.code)
        ).all()
        labels = {row.id: row.name for row in rows if self.can_see(row.id)}
        peers = [row.id for row in rows if not self.can_see(row.id)]
        labels.update({org_id: f"Provider {peer_letter(i)}" for i, org_id in enumerate(peers)})
        return labels
