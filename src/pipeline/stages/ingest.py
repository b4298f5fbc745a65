"""Stage ingest: read the configured batches from the source into data/raw/."""

from omegaconf import DictConfig

from pipeline.errors import ConfigError
from pipeline.io import write_parquet
from pipeline.sources import BATCH_COLUMN, read_example
from pipeline.stages.common import run_stage


def main(params: DictConfig) -> str:
    if params.data.source != "example":
        raise ConfigError(f"data.source={params.data.source!r}; this pipeline knows: example")
    flights, weather = read_example(list(params.data.batches))
    write_parquet(flights, params.paths.raw_flights)
    write_parquet(weather, params.paths.raw_weather)
    batches = sorted(flights[BATCH_COLUMN].unique())
    return (
        f"{len(flights):,} flights in {len(batches)} batches ({batches[0]}..{batches[-1]}), "
        f"{len(weather):,} weather rows"
    )


if __name__ == "__main__":
    run_stage("ingest", main)
