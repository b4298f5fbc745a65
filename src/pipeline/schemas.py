"""Data contracts at every stage boundary (pandera).

Every rule here was checked against the real example data: a contract that rejects real,
correct rows is a bug. Validation is lazy, so one run reports every broken rule at once.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

BATCH_PATTERN = r"^\d{4}-\d{2}$"
ORIGINS = ["EWR", "JFK", "LGA"]
FLIGHT_KEY = ["year", "month", "day", "carrier", "flight", "origin", "sched_dep_time"]
WEATHER_KEY = ["origin", "time_hour"]
UTC_HOUR_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:00:00Z$"


def is_clock_time(hhmm: pd.Series) -> pd.Series:
    """HHMM clock times: 0..2359 with minutes below 60 (2400 is midnight in the source)."""
    values = hhmm.dropna()
    ok = (values >= 0) & (values <= 2400) & (values % 100 < 60)
    return ok.reindex(hhmm.index, fill_value=True)


def _clock(nullable: bool) -> pa.Column:
    return pa.Column(
        float if nullable else int,
        pa.Check(is_clock_time, name="is_hhmm_clock_time"),
        nullable=nullable,
    )


RAW_FLIGHTS = pa.DataFrameSchema(
    name="raw flights",
    columns={
        "batch": pa.Column(str, pa.Check.str_matches(BATCH_PATTERN)),
        "year": pa.Column(int, pa.Check.in_range(1900, 2100)),
        "month": pa.Column(int, pa.Check.in_range(1, 12)),
        "day": pa.Column(int, pa.Check.in_range(1, 31)),
        "dep_time": _clock(nullable=True),
        "sched_dep_time": _clock(nullable=False),
        "dep_delay": pa.Column(float, nullable=True),
        "arr_time": _clock(nullable=True),
        "sched_arr_time": _clock(nullable=False),
        "arr_delay": pa.Column(float, nullable=True),
        "carrier": pa.Column(str, pa.Check.str_matches(r"^[A-Z0-9]{2}$")),
        "flight": pa.Column(int, pa.Check.gt(0)),
        "tailnum": pa.Column(str, nullable=True),
        "origin": pa.Column(str, pa.Check.isin(ORIGINS)),
        "dest": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{3}$")),
        "air_time": pa.Column(float, pa.Check.gt(0), nullable=True),
        "distance": pa.Column(int, pa.Check.gt(0)),
        "hour": pa.Column(int, pa.Check.in_range(0, 23)),
        "minute": pa.Column(int, pa.Check.in_range(0, 59)),
        "time_hour": pa.Column(str, pa.Check.str_matches(UTC_HOUR_PATTERN)),
    },
    checks=[
        pa.Check(
            lambda df: df["hour"] == df["sched_dep_time"] // 100,
            name="hour_matches_sched_dep_time",
            error="hour == sched_dep_time // 100",
        ),
        pa.Check(
            lambda df: df["minute"] == df["sched_dep_time"] % 100,
            name="minute_matches_sched_dep_time",
            error="minute == sched_dep_time % 100",
        ),
        pa.Check(
            lambda df: (
                df["batch"] == df["year"].astype(str) + "-" + df["month"].astype(str).str.zfill(2)
            ),
            name="batch_matches_year_month",
            error="batch == YYYY-MM of year and month",
        ),
    ],
    unique=FLIGHT_KEY,
    strict=True,
)

RAW_WEATHER = pa.DataFrameSchema(
    name="raw weather",
    columns={
        "origin": pa.Column(str, pa.Check.isin(ORIGINS)),
        "year": pa.Column(int, pa.Check.in_range(1900, 2100)),
        "month": pa.Column(int, pa.Check.in_range(1, 12)),
        "day": pa.Column(int, pa.Check.in_range(1, 31)),
        "hour": pa.Column(int, pa.Check.in_range(0, 23)),
        "temp": pa.Column(float, pa.Check.in_range(-60, 130), nullable=True),  # Fahrenheit
        "dewp": pa.Column(float, pa.Check.in_range(-80, 100), nullable=True),
        "humid": pa.Column(float, pa.Check.in_range(0, 100), nullable=True),
        "wind_dir": pa.Column(float, pa.Check.in_range(0, 360), nullable=True),
        # Raw sensor data keeps its glitches (one 1048 mph reading); validate masks them.
        "wind_speed": pa.Column(float, pa.Check.ge(0), nullable=True),
        "wind_gust": pa.Column(float, pa.Check.ge(0), nullable=True),
        "precip": pa.Column(float, pa.Check.ge(0), nullable=True),
        "pressure": pa.Column(float, pa.Check.in_range(850, 1100), nullable=True),  # millibar
        "visib": pa.Column(float, pa.Check.in_range(0, 100), nullable=True),  # miles
        "time_hour": pa.Column(str, pa.Check.str_matches(UTC_HOUR_PATTERN)),
    },
    unique=WEATHER_KEY,
    strict=True,
)

# Physically possible wind speeds (mph); validate masks readings above this as missing.
MAX_WIND_SPEED = 250.0

INTERIM_WEATHER = RAW_WEATHER.update_column(
    "wind_speed", checks=[pa.Check.in_range(0, MAX_WIND_SPEED)]
).set_name("interim weather")

WEATHER_FEATURES = [
    "temp",
    "dewp",
    "humid",
    "wind_dir",
    "wind_speed",
    "wind_gust",
    "precip",
    "pressure",
    "visib",
]

FEATURES = pa.DataFrameSchema(
    name="features",
    columns={
        "batch": pa.Column(str, pa.Check.str_matches(BATCH_PATTERN)),
        "carrier": pa.Column("category"),
        "origin": pa.Column("category", pa.Check.isin(ORIGINS)),
        "dest": pa.Column("category"),
        "sched_dep_hour": pa.Column(float, pa.Check.in_range(0, 24)),
        "sched_arr_hour": pa.Column(float, pa.Check.in_range(0, 24)),
        "day_of_week": pa.Column(int, pa.Check.in_range(0, 6)),
        "distance": pa.Column(float, pa.Check.gt(0)),
        **{name: pa.Column(float, nullable=True) for name in WEATHER_FEATURES},
        "is_late": pa.Column(int, pa.Check.isin([0, 1])),
    },
    checks=[
        pa.Check(
            lambda df: df["wind_speed"].dropna() <= MAX_WIND_SPEED, name="wind_speed_is_physical"
        )
    ],
    strict=True,
)


class ContractError(ValueError):
    """Data broke a contract. Carries a readable summary and the full report."""

    def __init__(self, summary: str, report: dict):
        super().__init__(summary)
        self.report = report


def check(schema: pa.DataFrameSchema, frame: pd.DataFrame, source: str, examples: int = 5) -> dict:
    """Validate lazily; return counts, or raise ContractError listing every broken rule."""
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        failures = _collapse(errors.failure_cases, examples)
        report = {
            "table": schema.name,
            "file": source,
            "rows": len(frame),
            "valid": False,
            "failures": failures,
        }
        lines = [f"{source}: {len(failures)} rule(s) of the {schema.name} contract failed:"]
        for failure in failures:
            lines.append(
                f"  - column {failure['column']!r}, rule {failure['rule']}: "
                f"{failure['failing_rows']} row(s), e.g. {failure['examples']}"
            )
        raise ContractError("\n".join(lines), report) from None
    return {"table": schema.name, "file": source, "rows": len(frame), "valid": True, "failures": []}


def _collapse(cases: pd.DataFrame, examples: int) -> list[dict]:
    """One entry per (column, rule) instead of one row per failing value."""
    cases = cases.assign(
        column=cases["column"].fillna(cases["schema_context"]).astype(str),
        check=cases["check"].astype(str),
    )
    collapsed = []
    for (column, rule), group in cases.groupby(["column", "check"], sort=True):
        values = group["failure_case"].dropna().astype(str).unique()[:examples].tolist()
        rows = group["index"].notna().sum() or len(group)
        collapsed.append(
            {"column": column, "rule": rule, "failing_rows": int(rows), "examples": values}
        )
    return collapsed
