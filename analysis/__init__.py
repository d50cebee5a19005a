"""Pure pandas/statsmodels analysis: scoring, case-mix adjustment, benchmarking.

Never imports Flask or the web app, so analysts can use it on a CSV.
"""

# Bump when any scoring or statistical rule changes; every output row carries it.
METHODOLOGY_VERSION = "2026.3"
