"""Stage ingest: read the dataset's tables from the configured source into data/raw/."""

from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from pipeline.config import table_file
from pipeline.data.batches import batch_order
from pipeline.data.privacy import protect
from pipeline.data.sources import TableSet, read_source
from pipeline.errors import PipelineError
from pipeline.io import atomic_dir, write_json
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    report_file = Path(params.paths.validation) / "ingest.json"
    source, tables = params.source, TableSet.of(params.dataset)
    try:
        ingested = read_source(source, tables, Path(params.paths.landing))
        privacy = protect(ingested.tables, params.privacy)
    except PipelineError as error:
        write_json({"valid": False, "source": source["kind"], "error": str(error)}, report_file)
        raise
    frames = {name: storable(ingested.tables[name]) for name in tables.names}
    with atomic_dir(params.paths.raw) as out:
        for name, frame in frames.items():
            frame.to_parquet(table_file(out, name), index=False)
    batch_ids = frames[tables.batch_table][tables.batch_column].astype(str)
    per_batch = batch_ids.value_counts().reindex(batch_order(batch_ids.unique()))
    write_json(
        {
            "valid": True,
            "source": source["kind"],
            "batch_table": tables.batch_table,
            "batch_count": len(per_batch),
            "newest_batch": per_batch.index[-1],
            "rows": {name: len(frame) for name, frame in frames.items()},
            "batches": [
                {"batch": batch, "rows": int(rows), "origin": ingested.origins.get(batch)}
                for batch, rows in per_batch.items()
            ],
            "privacy": privacy,
        },
        report_file,
    )
    others = [f"{len(frames[n]):,} {n} rows" for n in tables.names if n != tables.batch_table]
    return (
        f"{len(frames[tables.batch_table]):,} {tables.batch_table} rows in {len(per_batch)} "
        f"batches ({per_batch.index[0]}..{per_batch.index[-1]}) from {source['kind']}"
        + "".join(f", {other}" for other in others)
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
