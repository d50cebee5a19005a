"""Case-mix adjustment by regression with provider fixed effects (HCAHPS style).

The respondent-level model is ``y = α_provider + Σ β_k x_k + ε``. Fitting it with one
dummy per provider would need a million-by-hundreds matrix, so the fixed effects are
absorbed by the within (Frisch–Waugh–Lovell) transformation: demean ``y`` and every
adjuster column within provider, then OLS without a constant gives the same β. A unit's
adjusted score is ``raw − Σ β_k (x̄_unit,k − x̄_k)``: the part of its difference from the
overall mean that its case mix explains is removed. Categorical adjusters are dummy coded
(reference = most common level) and a missing value is its own level, so no respondent is
dropped. See docs/methodology.md, section 2.3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.linear_model import OLS, RegressionResults

MISSING_LEVEL = "(missing)"
DEFAULT_ADJUSTERS = ("age_band", "sex", "general_health", "completed_by")
# A demeaned column whose largest absolute value is below this is all zeros (absorbed).
ABSORBED_TOLERANCE = 1e-9


@dataclass(frozen=True)
class CaseMixModel:
    """A fitted adjustment: β per design column and the overall means it centres on."""

    measure: str
    adjusters: tuple[str, ...]
    fixed_effects: str
    beta: pd.Series
    centre: pd.Series
    coefficients: pd.DataFrame
    respondents: int
    r_squared_within: float


def _categorical_dummies(values: pd.Series, name: str) -> pd.DataFrame:
    """Return 0/1 columns for every level but the most common; missing is its own level.

    Levels are in sorted order, then "(missing)"; a tie for the most common level goes to
    the first of them.
    """
    codes, uniques = pd.factorize(values, sort=True)
    levels = [str(level) for level in uniques]
    if (codes < 0).any():
        codes = np.where(codes < 0, len(levels), codes)
        levels.append(MISSING_LEVEL)
    reference = int(np.argmax(np.bincount(codes, minlength=len(levels))))
    kept = [code for code in range(len(levels)) if code != reference]
    matrix = (codes[:, None] == np.asarray(kept, dtype=codes.dtype)[None, :]).astype(np.float64)
    columns = [f"{name}={levels[code]}" for code in kept]
    return pd.DataFrame(matrix, index=values.index, columns=columns)


def _numeric_columns(values: pd.Series, name: str) -> pd.DataFrame:
    """Return a numeric adjuster with missing values mean-filled plus a missing indicator."""
    numeric = values.astype(np.float64)
    columns = {name: numeric.fillna(numeric.mean())}
    if numeric.isna().any():
        columns[f"{name}={MISSING_LEVEL}"] = numeric.isna().astype(np.float64)
    return pd.DataFrame(columns, index=values.index)


def design_matrix(frame: pd.DataFrame, adjusters: Sequence[str]) -> pd.DataFrame:
    """Return the adjuster design columns (no constant) for the given respondents."""
    missing = [name for name in adjusters if name not in frame.columns]
    if missing:
        raise KeyError(f"adjuster column(s) not found: {', '.join(missing)}")
    parts = []
    for name in adjusters:
        values = frame[name]
        numeric = pd.api.types.is_numeric_dtype(values)
        if numeric and not pd.api.types.is_bool_dtype(values):
            parts.append(_numeric_columns(values, name))
        else:
            parts.append(_categorical_dummies(values, name))
    return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)


def _within(values: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Demean every column within its fixed-effect group."""
    return values - values.groupby(groups.to_numpy(), sort=False).transform("mean")


def _coefficient_table(
    fit: RegressionResults | None, terms: pd.Index, respondents: int, groups: int
) -> pd.DataFrame:
    """Return β for every term with standard errors corrected for the absorbed fixed
    effects; terms left out of the fit (or every term, with no fit) are not estimable."""
    if fit is None:
        params = se = pd.Series(np.nan, index=terms)
        df_resid = max(respondents - groups, 1)
    else:
        df_resid = max(respondents - len(fit.params) - groups, 1)
        params = fit.params.reindex(terms)
        se = (fit.bse * np.sqrt(fit.df_resid / df_resid)).reindex(terms)
    split = pd.Series(terms).str.split("=", n=1, expand=True).reindex(columns=[0, 1])
    return pd.DataFrame(
        {
            "term": terms.to_numpy(),
            "adjuster": split[0].to_numpy(),
            "level": split[1].fillna("").to_numpy(),
            "coefficient": params.to_numpy(),
            "std_error": se.to_numpy(),
            "p_value": 2 * stats.t.sf(np.abs((params / se).to_numpy()), df_resid),
            "estimable": params.notna().to_numpy(),
        }
    )


def fit_case_mix(
    frame: pd.DataFrame,
    measure: str,
    adjusters: Sequence[str],
    *,
    fixed_effects: str = "provider",
) -> CaseMixModel:
    """Fit β for ``measure`` on ``adjusters`` with fixed effects for ``fixed_effects``.

    Respondents without a value for the measure are left out of the fit.
    """
    return adjust_respondents(frame, measure, adjusters, fixed_effects=fixed_effects)[0]


def adjust_respondents(
    frame: pd.DataFrame,
    measure: str,
    adjusters: Sequence[str],
    *,
    fixed_effects: str = "provider",
) -> tuple[CaseMixModel, pd.Series]:
    """Fit the model and return it with the adjusted value of every scored respondent.

    Same as :func:`fit_case_mix` then :func:`adjusted_values`, building the design once
    (it is the slow part at a million respondents).
    """
    for column in (measure, fixed_effects):
        if column not in frame.columns:
            raise KeyError(f"column not found: {column}")
    scored = frame.loc[frame[measure].notna()]
    if scored.empty:
        raise ValueError(f"no respondent has a value for {measure}")
    design = design_matrix(scored, adjusters)
    groups = scored[fixed_effects]
    y = scored[measure].astype(np.float64)
    y_within = y - y.groupby(groups.to_numpy(), sort=False).transform("mean")
    within = _within(design, groups)
    # A column constant within every provider (e.g. a mode only one provider uses) is
    # absorbed by the fixed effects: its β is not identifiable, so it is left out of the
    # fit, gets no adjustment and is reported as not estimable.
    estimable = within.abs().max() > ABSORBED_TOLERANCE
    fit = (
        OLS(y_within.to_numpy(), within.loc[:, estimable], hasconst=False).fit()
        if estimable.any()
        else None  # nothing varies within providers: no case-mix adjustment is possible
    )
    residual = float(fit.ssr) if fit is not None else float(np.sum(y_within.to_numpy() ** 2))
    total = float(np.sum(y_within.to_numpy() ** 2))
    model = CaseMixModel(
        measure=measure,
        adjusters=tuple(adjusters),
        fixed_effects=fixed_effects,
        beta=(fit.params if fit is not None else pd.Series(dtype=float)).reindex(
            design.columns, fill_value=0.0
        ),
        centre=design.mean(),
        coefficients=_coefficient_table(fit, design.columns, len(scored), groups.nunique()),
        respondents=len(scored),
        r_squared_within=1 - residual / total if total > 0 else float("nan"),
    )
    return model, y - _case_mix_shift(design, model)


def _case_mix_shift(design: pd.DataFrame, model: CaseMixModel) -> np.ndarray:
    """Return Σ β_k (x_k − x̄_k) for each respondent."""
    return (design - model.centre).to_numpy() @ model.beta.to_numpy()


def adjusted_values(frame: pd.DataFrame, model: CaseMixModel) -> pd.Series:
    """Return each respondent's case-mix-adjusted value ``y − Σ β_k (x_k − x̄_k)``.

    The mean of these over any unit equals the unit's adjusted score, so every roll-up
    level is adjusted consistently. Levels unseen in the fit count as the reference.
    """
    design = design_matrix(frame, model.adjusters).reindex(columns=model.beta.index, fill_value=0.0)
    return frame[model.measure].astype(np.float64) - _case_mix_shift(design, model)
