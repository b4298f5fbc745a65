"""Stage ingest: read the configured source into data/raw/, and record which batches it read."""

from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from pipeline.data.privacy import protect
from pipeline.data.sources import BATCH_COLUMN, read_source
from pipeline.errors import PipelineError
from pipeline.io import write_json, write_parquet
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    report_file = Path(params.paths.validation) / "ingest.json"
    source = params.source
    try:
        ingested = read_source(source, Path(params.paths.landing))
        privacy = protect(ingested.tables, params.privacy)
    except PipelineError as error:
        write_json({"valid": False, "source": source["kind"], "error": str(error)}, report_file)
        raise
    flights, weather = (storable(ingested.tables[name]) for name in ("flights", "weather"))
    write_parquet(flights, params.paths.raw_flights)
    write_parquet(weather, params.paths.raw_weather)
    per_batch = flights[BATCH_COLUMN].astype(str).value_counts().sort_index()
    write_json(
        {
            "valid": True,
            "source": source["kind"],
            "batch_count": len(per_batch),
            "newest_batch": per_batch.index[-1],
            "rows": {"flights": len(flights), "weather": len(weather)},
            "batches": [
                {"batch": batch, "rows": int(rows), "origin": ingested.origins.get(batch)}
                for batch, rows in per_batch.items()
            ],
            "privacy": privacy,
        },
        report_file,
    )
    return (
        f"{len(flights):,} flights in {len(per_batch)} batches "
        f"({per_batch.index[0]}..{per_batch.index[-1]}) from {source['kind']}, "
        f"{len(weather):,} weather rows"
    )


def storable(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns of mixed Python types (a database's loose typing) become text.

    Parquet needs one type per column; validate then names every value that is not a number.
    """
    mixed = [c for c in frame.columns if frame[c].dtype == object]
    if not mixed:
        return frame
    return frame.assign(**{c: frame[c].astype("str").where(frame[c].notna()) for c in mixed})


if __name__ == "__main__":
    run_stage("ingest", main)
