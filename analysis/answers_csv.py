"""Answer tables as CSV files: where the app's export finds the platform's CSV writer.

``flask export-answers`` writes through ``write_csv_atomically``; reading and writing live
in ``analysis.csv_input`` and ``analysis.csv_output``, shared by every analysis command.
"""

from __future__ import annotations

from analysis.csv_output import write_csv_atomically

__all__ = ["write_csv_atomically"]
