"""Build CHECK constraints that hold a column to a fixed list of values, portably."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import CheckConstraint


def one_of(
    column: str, values: Iterable[str], *, name: str, nullable: bool = False
) -> CheckConstraint:
    """Return ``CHECK (column IN (...))``; the name is prefixed by the naming convention."""
    listed = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    sql = f"{column} IN ({listed})"
    if nullable:
        sql = f"{column} IS NULL OR {sql}"
    return CheckConstraint(sql, name=name)
