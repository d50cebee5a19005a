"""The fictional world the demo is set in: organisations, pathways and how they differ.

Names and codes are invented (ODS-style shapes only). Each provider has a quality effect
(one clearly better, one clearly worse than the rest) and a case mix (older or sicker
patients, more answers by carers), so fair comparison has something to adjust for.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoProvider:
    """A fictional provider with its sites, quality and case mix."""

    code: str
    name: str
    sites: tuple[str, ...]
    quality: float  # shift of the latent experience, in respondent standard deviations
    older: float  # shift towards older age bands (0 = national mix)
    sicker: float  # shift towards worse self-rated health
    proxy_rate: float  # share answered by a carer or relative on the patient's behalf
    volume: float  # relative number of discharges


COMMISSIONERS = (
    ("QZ1", "NHS Northmoor Integrated Care Board"),
    ("QZ2", "NHS Riverside and Vale Integrated Care Board"),
    ("QZ3", "Eastcliff County Council Adult Social Care"),
)

PROVIDERS = (
    DemoProvider(
        "RZ1",
        "Northmoor Teaching Hospitals NHS Foundation Trust",
        ("Northmoor General Hospital", "St Aldhelm's Hospital"),
        0.9,
        0.0,
        0.0,
        0.10,
        1.4,
    ),
    DemoProvider(
        "RZ2", "Ashby Vale Hospitals NHS Trust", ("Ashby Vale Hospital",), 0.05, 0.3, 0.2, 0.14, 1.0
    ),
    DemoProvider(
        "RZ3",
        "Kingsmere University Hospitals NHS Foundation Trust",
        ("Kingsmere Royal Infirmary", "Kingsmere West Hospital"),
        0.1,
        -0.2,
        0.0,
        0.08,
        1.5,
    ),
    DemoProvider(
        "RZ4",
        "Harbourside Hospitals NHS Trust",
        ("Harbourside Hospital",),
        -0.9,
        0.1,
        0.3,
        0.12,
        1.1,
    ),
    DemoProvider(
        "RZ5",
        "Eastcliff Community Healthcare NHS Trust",
        ("Eastcliff Community Hospital", "Marston Lane Unit"),
        0.15,
        0.8,
        0.5,
        0.25,
        0.7,
    ),
    DemoProvider(
        "RZ6",
        "Fenwick and Dale NHS Foundation Trust",
        ("Fenwick Hospital", "Dale Community Hospital"),
        -0.1,
        0.4,
        0.1,
        0.15,
        0.9,
    ),
    DemoProvider(
        "RZ7",
        "Westbury Health and Care NHS Trust",
        ("Westbury District Hospital",),
        0.0,
        0.2,
        0.6,
        0.18,
        0.8,
    ),
    DemoProvider(
        "RZ8",
        "Coldharbour Hospitals NHS Foundation Trust",
        ("Coldharbour Hospital", "Coldharbour Treatment Centre"),
        -0.05,
        -0.4,
        -0.2,
        0.06,
        1.2,
    ),
    DemoProvider(
        "RZ9", "Saltmarsh Partnership NHS Trust", ("Saltmarsh Hospital",), 0.2, 0.5, 0.4, 0.22, 0.6
    ),
    DemoProvider(
        "RZA",
        "Brindle Valley Hospitals NHS Trust",
        ("Brindle Valley Hospital",),
        -0.2,
        0.0,
        0.2,
        0.11,
        0.9,
    ),
    DemoProvider(
        "RZB",
        "Greyfriars Community and Mental Health NHS Trust",
        ("Greyfriars Community Hospital", "Greyfriars Unit"),
        0.1,
        0.6,
        0.7,
        0.28,
        0.6,
    ),
    DemoProvider(
        "RZC",
        "Oakhurst Royal Hospitals NHS Foundation Trust",
        ("Oakhurst Royal Hospital", "Oakhurst Elective Centre"),
        0.25,
        -0.3,
        -0.3,
        0.07,
        1.3,
    ),
)

# code, name, care type (seed 003 L577–624), likely destinations after leaving hospital
PATHWAYS = (
    (
        "frail-elderly",
        "Frail older people",
        "ongoing_complex_packages",
        ("home_with_care", "care_home", "community_team"),
    ),
    (
        "stroke",
        "Stroke (including early supported discharge)",
        "unplanned_episode",
        ("home", "home_with_care", "community_team"),
    ),
    (
        "hip-fracture",
        "Hip fracture",
        "unplanned_episode",
        ("home_with_care", "care_home", "community_hospital"),
    ),
    ("copd", "COPD", "ongoing_complex_packages", ("home", "community_team")),
    ("heart-failure", "Heart failure", "ongoing_complex_packages", ("home", "community_team")),
    ("elective-orthopaedics", "Planned hip and knee surgery", "planned_episode", ("home",)),
    ("cancer", "Cancer", "ongoing_complex_pathways", ("home", "community_team", "hospice")),
    (
        "end-of-life",
        "End of life care",
        "ongoing_complex_packages",
        ("home_with_care", "hospice", "care_home"),
    ),
)

# Pathway code → shift of the latent experience (planned care is smoother than unplanned).
# Share of discharges on each pathway (platform assumption for the demo): frailty and hip
# fracture dominate transitions out of hospital; end of life and cancer are small, so the
# demo shows both benchmarked units and "too few responses".
PATHWAY_SHARES = {
    "frail-elderly": 0.28,
    "hip-fracture": 0.20,
    "stroke": 0.16,
    "heart-failure": 0.12,
    "copd": 0.10,
    "elective-orthopaedics": 0.08,
    "end-of-life": 0.03,
    "cancer": 0.03,
}

PATHWAY_EFFECTS = {
    "frail-elderly": -0.25,
    "stroke": 0.0,
    "hip-fracture": -0.15,
    "copd": 0.05,
    "heart-failure": 0.05,
    "elective-orthopaedics": 0.35,
    "cancer": 0.2,
    "end-of-life": -0.1,
}
