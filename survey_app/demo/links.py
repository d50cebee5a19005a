"""Fresh, unanswered demo invitations, so every demo run prints links that work.

Tokens are stored only as hashes, so links from an earlier run cannot be printed again:
each run issues new ones, for new discharges at the demo's providers.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Organisation, Pathway, TransitionEvent, utcnow
from survey_app.services.invitations import issue_invitation
from survey_app.services.surveys import ensure_survey


class NoProviders(LookupError):
    """The database has no provider or pathway to attach a new invitation to."""


def issue_fresh_links(count: int, *, survey_slug: str, seed: int | None = None) -> list[str]:
    """Issue ``count`` new invitations to ``survey_slug``; return their plain tokens."""
    chooser = random.Random(seed)
    providers = db.session.scalars(
        select(Organisation).where(Organisation.type_code == "provider").order_by(Organisation.id)
    ).all()
    pathways = db.session.scalars(select(Pathway).order_by(Pathway.id)).all()
    if not providers or not pathways:
        raise NoProviders("the database has no providers or pathways to invite patients from")
    survey = ensure_survey(survey_slug)
    tokens = []
    for _ in range(count):
        provider = chooser.choice(providers)
        event = TransitionEvent(
            provider=provider,
            site=chooser.choice(provider.children) if provider.children else None,
            pathway=chooser.choice(pathways),
            discharge_date=utcnow().date() - timedelta(days=2),
            from_setting="acute_ward",
            to_setting="home",
            admission_route="emergency",
            age_band=chooser.choice(("65-74", "75-84", "85+")),
            sex=chooser.choice(("female", "male")),
        )
        db.session.add(event)
        _invitation, token = issue_invitation(event=event, survey=survey, channel="sms")
        tokens.append(token)
    return tokens
