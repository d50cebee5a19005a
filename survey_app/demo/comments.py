"""Free-text comments for the demo: realistic words, some with identifiers to mask.

Invented, like everything in the demo (names, numbers and addresses are fictional; phone
numbers are from Ofcom's ranges reserved for drama). Most respondents leave the box empty;
those who write lean positive or negative with their experience. The first unhappy
respondent describes a safety concern (no insulin at home), so the flagging route has
something real to act on.
"""

from __future__ import annotations

import numpy as np

COMMENT_SHARE = 0.3  # of respondents who reach the question

POSITIVE = (
    "Dr Patel explained everything clearly and the nurses on the ward were lovely.",
    "The community team came the day after I got home, which made a big difference.",
    "My daughter Sarah was kept informed the whole time. Thank you to Nurse Jane.",
    "Everything was joined up: my GP already had the letter when I rang them.",
    "Very kind staff. The pharmacist went through all my tablets before I left.",
)
SAFETY_CONCERN = (
    "I was sent home without my insulin and I'm scared I will run out tomorrow. "
    "Nobody has called back. My email is j.doe@example.com."
)
NEGATIVE = (
    "I waited all day for my medicines to be ready and nobody told my husband Peter.",
    "Nobody from the district nurses came. Please ring me on 07700 900123 about this.",
    "The discharge letter had the wrong address, I live at 4 Mill Lane, NE1 4XY.",
    "Mrs O'Neill at the care home was not told I was coming back.",
    "My NHS number is 943 476 5919 and it was on someone else's letter.",
    "Too many different people asked me the same questions and nobody listened to my son "
    "David.",
)


def draw_comments(rng: np.random.Generator, latent: np.ndarray,
                  reached: np.ndarray) -> np.ndarray:
    """Return each respondent's comment ("" for none), in the mood of their experience;
    the first unhappy respondent who ``reached`` the question raises the safety concern."""
    writes = rng.random(len(latent)) < COMMENT_SHARE
    positive = rng.choice(len(POSITIVE), size=len(latent))
    negative = rng.choice(len(NEGATIVE), size=len(latent))
    words = np.where(
        latent >= 0,
        np.array(POSITIVE, dtype=object)[positive],
        np.array(NEGATIVE, dtype=object)[negative],
    )
    words = np.where(writes, words, "").astype(object)
    unhappy = np.flatnonzero(reached & (latent < 0))
    if len(unhappy):
        words[unhappy[0]] = SAFETY_CONCERN
    return words
