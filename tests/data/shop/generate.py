"""Writes the framework's fixture dataset: a small subscription table, one CSV per year.

Synthetic but shaped like a team's own table: a year as the batch id, an id column, text
categories, a nullable amount, a clock time, and two targets that depend on them with
noise: a 0/1 one (the customer churned; dataset shop) and a number (the customer's value
over the year; dataset shop_value). Later years drift (higher spend, more support calls,
higher values), and the newest year's labels relate to the inputs a little differently, as
real data does.
Run from the repository root: python tests/data/shop/generate.py
"""

from pathlib import Path

import numpy as np
import pandas as pd

ROWS_PER_YEAR = 400
YEARS = [2019, 2020, 2021, 2022, 2023, 2024]


def year_table(year: int, rng: np.random.Generator, first_id: int) -> pd.DataFrame:
    n = ROWS_PER_YEAR
    later = year - YEARS[0]
    plan = rng.choice(["basic", "pro", "team"], size=n, p=[0.5, 0.35, 0.15])
    region = rng.choice(["north", "south", "east", "west"], size=n)
    tenure = rng.integers(0, 121, size=n)
    calls = rng.poisson(1.5 + 0.3 * later, size=n)
    spend = np.round(rng.gamma(2.0, 20.0 + 4 * later, size=n), 2)
    spend = np.where(rng.random(n) < 0.05, np.nan, spend)  # not every invoice is in yet
    hour, minute = rng.integers(0, 24, size=n), rng.integers(0, 60, size=n)
    risk = (
        -1.0
        - 0.02 * tenure
        + 0.45 * calls
        + np.where(plan == "basic", 0.8, 0.0)
        - np.where(plan == "team", 0.6, 0.0)
        + np.where(region == "south", 0.3, 0.0)
        + 0.3 * np.sin(hour / 24 * 2 * np.pi)
    )
    churned = (rng.random(n) < 1 / (1 + np.exp(-risk))).astype(int)
    # Its own generator, so the columns above stay what they were before it was added.
    value_rng = np.random.default_rng(year)
    value = (
        60.0
        + 6.0 * tenure
        + np.where(plan == "pro", 150.0, 0.0)
        + np.where(plan == "team", 400.0, 0.0)
        - 30.0 * calls
        + 40.0 * np.sin(hour / 24 * 2 * np.pi)
        + 25.0 * later
        + value_rng.normal(0.0, 80.0, size=n)
    )
    return pd.DataFrame(
        {
            "customer_id": np.arange(first_id, first_id + n),
            "year": year,
            "region": region,
            "plan": plan,
            "tenure_months": tenure,
            "monthly_spend": spend,
            "support_calls": calls,
            "signup_hhmm": hour * 100 + minute,
            "churned": churned,
            "annual_value": np.round(np.clip(value, 1.0, None), 2),
        }
    )


def main() -> None:
    rng = np.random.default_rng(7)
    folder = Path(__file__).parent / "customers"
    folder.mkdir(exist_ok=True)
    for index, year in enumerate(YEARS):
        table = year_table(year, rng, 1 + index * ROWS_PER_YEAR)
        table.to_csv(folder / f"{year}.csv", index=False)


if __name__ == "__main__":
    main()
