"""Weekly medicine demand forecast and safety stock per facility x SKU.

Forecast = moving average of the last ``history_weeks`` *deseasonalised* weeks, re-seasonalised for the target
week (classical multiplicative decomposition). The seasonal index is per SKU and calendar month, pooled over
all facilities (a facility alone has too few prescriptions per month to estimate it), clipped to [0.5, 2].
Safety stock for a periodic review (review period R, lead time L, both in days):
``z * sigma_week * sqrt((R + L) / 7)``, with ``sigma_week`` the standard deviation of the deseasonalised weekly
demand over the whole history. Order-up-to level = ``forecast * (R + L) / 7 + safety stock``.

When the records are a sample (each record stands for ``k = expansion_factor`` real ones, prescribing ``u`` units),
the expanded weekly sums carry extra sampling variance of about ``(k - 1) * mean * E[u^2] / E[u]`` (compound
Poisson); it is subtracted so the safety stock reflects real demand variability, with the compound-Poisson
variance ``mean * E[u^2] / E[u]`` of real prescriptions as a floor. ``unit_dispersion`` gives
``E[u^2] / E[u]`` per SKU (1 when every prescription is one unit).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.data.record_checks import connect, parquet_source


def seasonal_index(weekly: pd.DataFrame, weeks: pd.DatetimeIndex) -> pd.DataFrame:
    """Index per (sku, month): mean weekly units in that month over the SKU's mean weekly units.

    ``weekly`` has columns ``clues, sku, week, units``; ``weeks`` lists every week of the history (weeks with
    no prescriptions count as zero). Months with no week in the history get index 1.
    """
    tot = weekly.groupby(["sku", "week"], as_index=False)["units"].sum()
    months = pd.Series(weeks.month, index=weeks)
    weeks_per_month = months.value_counts()
    tot["month"] = pd.DatetimeIndex(tot["week"]).month
    by_month = tot.groupby(["sku", "month"])["units"].sum().unstack(fill_value=0.0)
    by_month = by_month.reindex(columns=range(1, 13), fill_value=0.0)
    per_week = by_month.div(weeks_per_month.reindex(range(1, 13)).replace(0, np.nan), axis=1)
    mean = tot.groupby("sku")["units"].sum() / len(weeks)
    idx = per_week.div(mean.replace(0, np.nan), axis=0).fillna(1.0).clip(0.5, 2.0)
    return idx


def forecast_demand(
    weekly: pd.DataFrame,
    target_week: dt.date,
    history_weeks: int = 8,
    expansion_factor: float = 1.0,
    unit_dispersion: pd.Series | None = None,
) -> pd.DataFrame:
    """Forecast for the week starting ``target_week``: columns ``clues, sku, forecast, sigma, mean_rate``
    (units/week). ``mean_rate`` is the whole-history deseasonalised mean re-seasonalised for the target week:
    a steadier consumption rate than the short moving average, used for shelf-life checks (a line whose last
    weeks happen to be empty in a sparse sample still consumes).

    Uses the weeks up to (not including) ``target_week``; when the history ends earlier (e.g. last year's
    records), the most recent ``history_weeks`` weeks available are averaged and the target month's seasonal
    index is applied.
    """
    cols = ["clues", "sku", "forecast", "sigma", "mean_rate"]
    if weekly.empty:
        return pd.DataFrame(columns=cols)
    w = weekly.copy()
    w["week"] = pd.to_datetime(w["week"])
    w = w[w["week"] < pd.Timestamp(target_week)]
    if w.empty:
        return pd.DataFrame(columns=cols)
    weeks = pd.date_range(w["week"].min(), w["week"].max(), freq="7D")
    s_idx = seasonal_index(w, weeks)
    keys = w[["clues", "sku"]].drop_duplicates().reset_index(drop=True)
    keys["k"] = np.arange(len(keys))
    w = w.merge(keys, on=["clues", "sku"])
    week_pos = {t: i for i, t in enumerate(weeks)}
    dense = np.zeros((len(keys), len(weeks)))
    np.add.at(dense, (w["k"].to_numpy(), w["week"].map(week_pos).to_numpy()), w["units"].to_numpy(float))
    sku_pos = {s: i for i, s in enumerate(s_idx.index)}
    season = s_idx.to_numpy()[keys["sku"].map(sku_pos).to_numpy()]  # (lines, 12)
    week_month = np.asarray(weeks.month) - 1
    deseason = dense / season[:, week_month]
    recent = deseason[:, -min(history_weeks, len(weeks)):]
    level = recent.mean(axis=1)
    var = deseason.var(axis=1, ddof=1) if len(weeks) > 1 else np.zeros(len(keys))
    mean = deseason.mean(axis=1)
    disp = np.ones(len(keys)) if unit_dispersion is None else \
        keys["sku"].map(unit_dispersion).fillna(1.0).to_numpy(float)
    if expansion_factor > 1.0:
        var = np.maximum(var - (expansion_factor - 1.0) * mean * disp, mean * disp)
    sigma = np.sqrt(var)
    target_season = season[:, pd.Timestamp(target_week).month - 1]
    keys["forecast"] = level * target_season
    keys["sigma"] = sigma * target_season
    keys["mean_rate"] = mean * target_season
    return keys[cols]


def order_up_to(forecast: pd.Series, sigma: pd.Series, review_days: float, lead_time_days: float,
                z: float) -> tuple[pd.Series, pd.Series]:
    """(order-up-to level, safety stock) in units for a periodic review with lead time."""
    horizon_weeks = (review_days + lead_time_days) / 7.0
    safety = z * sigma * np.sqrt(horizon_weeks)
    return forecast * horizon_weeks + safety, safety


def unit_dispersion(records_dir: Path) -> pd.Series:
    """``E[u^2] / E[u]`` of units per prescription line, by SKU, from the prescriptions Parquet."""
    con = connect()
    rx = parquet_source(records_dir, "prescriptions")
    df = con.execute(f"SELECT sku, sum(units::DOUBLE * units) / sum(units) AS d FROM {rx} GROUP BY sku").df()
    con.close()
    return df.set_index("sku")["d"]
