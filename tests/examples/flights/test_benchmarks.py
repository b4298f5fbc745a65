"""The scale benchmark's upsampling of the flights: more rows, all real values, still within
the example's raw contract."""

from __future__ import annotations

from repro import FLIGHT_OFFSET, upsample

from pipeline.contracts import apply as contracts
from pipeline.examples.flights import schemas
from pipeline.examples.flights.schemas import FLIGHT_KEY


def test_upsampling_keeps_the_real_rows_and_adds_seeded_draws(raw_small):
    flights = raw_small["flights"]
    four = upsample(flights, 4, seed=42)
    assert len(four) == 4 * len(flights)
    assert upsample(flights, 4, seed=42).equals(four)  # the same seed, the same rows
    assert not upsample(flights, 4, seed=7).equals(four)
    assert upsample(flights, 1, seed=42) is flights
    real = four[four["flight"] < FLIGHT_OFFSET]
    assert real.sort_values(FLIGHT_KEY, ignore_index=True).equals(
        flights.sort_values(FLIGHT_KEY, ignore_index=True)
    )
    drawn = four[four["flight"] >= FLIGHT_OFFSET]
    # every drawn row is a real row but for its flight number
    as_real = drawn.assign(flight=drawn["flight"] % FLIGHT_OFFSET).drop_duplicates()
    assert len(as_real.merge(flights, how="inner")) == len(as_real)
    # the batches keep their order and their share of the rows
    assert four["batch"].is_monotonic_increasing
    shares = four["batch"].value_counts(normalize=True).sort_index()
    real_shares = flights["batch"].value_counts(normalize=True).sort_index()
    assert (shares - real_shares).abs().max() < 0.01


def test_upsampled_flights_pass_the_raw_contract(raw_small, tmp_path):
    flights = raw_small["flights"]
    (checked,), report = contracts.enforce(
        [(schemas.RAW_FLIGHTS, upsample(flights, 3, seed=42), "flights x3")],
        tmp_path / "report.json",
    )
    assert report["valid"] and len(checked) == 3 * len(flights)
    assert not checked.duplicated(FLIGHT_KEY).any()
