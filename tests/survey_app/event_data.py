"""Fictional providers, sites and discharges for tests (uncommitted rows).

Plain functions rather than fixtures, so the fixtures in ``conftest.py`` and helper
modules such as ``comment_data.py`` build their rows the same way.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Organisation, Pathway, TransitionEvent


def provider_with_site(code: str = "RX1") -> tuple[Organisation, Organisation]:
    """Return a fictional provider and one of its sites, creating them if needed."""
    provider = db.session.scalar(select(Organisation).where(Organisation.code == code))
    if provider is None:
        start = date(2020, 4, 1)
        provider = Organisation(
            code=code, name=f"Test Provider {code}", type_code="provider", effective_from=start
        )
        site = Organisation(
            code=f"{code}01", name=f"Test Hospital {code}", type_code="site",
            parent=provider, effective_from=start,
        )
        db.session.add_all([provider, site])
        db.session.flush()
    return provider, provider.children[0]


def make_event(*, provider_code: str = "RX1", pathway_code: str = "stroke") -> TransitionEvent:
    """Create (uncommitted) one transition event at a test provider."""
    provider, site = provider_with_site(provider_code)
    pathway = db.session.scalar(select(Pathway).where(Pathway.code == pathway_code))
    if pathway is None:
        pathway = Pathway(
            code=pathway_code, name=pathway_code.title(), care_type="unplanned_episode"
        )
    event = TransitionEvent(
        provider=provider, site=site, pathway=pathway,
        discharge_date=date.today() - timedelta(days=3),
        from_setting="acute_ward", to_setting="home",
        admission_route="emergency", age_band="75-84", sex="female",
    )
    db.session.add(event)
    db.session.flush()
    return event
