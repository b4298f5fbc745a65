"""Stage ingest: read the dataset's tables from the configured source into data/raw/."""

from pathlib import Path

from omegaconf import DictConfig

from pipeline.config import Reports
from pipeline.data.batches import batch_order
from pipeline.data.ingesting import ingest
from pipeline.data.sources import TableSet
from pipeline.engine.runner import runner_for
from pipeline.errors import PipelineError
from pipeline.io import write_json
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    report_file = Reports(params.paths).ingest
    source, tables = params.source, TableSet.of(params.dataset)
    try:
        with runner_for(params.engine) as runner:
            ingested = ingest(
                runner, source, tables, Path(params.paths.landing), params.privacy, params.paths.raw
            )
    except PipelineError as error:
        write_json({"valid": False, "source": source["kind"], "error": str(error)}, report_file)
        raise
    order = batch_order(ingested.batch_rows)
    write_json(
        {
            "valid": True,
            "source": source["kind"],
            "batch_table": tables.batch_table,
            "batch_count": len(order),
            "newest_batch": order[-1],
            "rows": ingested.rows,
            "batches": [
                {
                    "batch": batch,
                    "rows": int(ingested.batch_rows[batch]),
                    "origin": ingested.origins.get(batch),
                }
                for batch in order
            ],
            "privacy": ingested.privacy,
        },
        report_file,
    )
    others = [f"{ingested.rows[n]:,} {n} rows" for n in tables.names if n != tables.batch_table]
    span = (
        f"1 batch ({order[0]})"
        if len(order) == 1
        else f"{len(order)} batches ({order[0]}..{order[-1]})"
    )
    return (
        f"{ingested.rows[tables.batch_table]:,} {tables.batch_table} rows in {span} "
        f"from {source['kind']}" + "".join(f", {other}" for other in others)
    )


if __name__ == "__main__":
    run_stage("ingest", main)
