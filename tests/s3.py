"""A real S3 API on 127.0.0.1 (moto's server), for DVC remotes in tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# Credentials come from the environment only, as in CI; moto accepts any.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass(frozen=True)
class S3:
    endpoint: str
    bucket: str

    def url(self, prefix: str) -> str:
        return f"s3://{self.bucket}/{prefix}"

    def keys(self) -> list[str]:
        import boto3

        client = boto3.client("s3", endpoint_url=self.endpoint, **_client_credentials())
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]


def _client_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": CREDENTIALS["AWS_DEFAULT_REGION"],
    }


@contextmanager
def s3_server(bucket: str = "ml-pipeline") -> Iterator[S3]:
    """Start moto's S3 server on a free loopback port with one empty bucket; stop it after."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        boto3.client("s3", endpoint_url=endpoint, **_client_credentials()).create_bucket(
            Bucket=bucket
        )
        yield S3(endpoint, bucket)
    finally:
        server.stop()


def use_s3_remote(run, repo, s3: S3, prefix: str = "store") -> None:
    """Point the repository's default DVC remote at the bucket (in .dvc/config.local)."""
    run(["dvc", "remote", "add", "--local", "-d", "-f", "s3", s3.url(prefix)], repo)
    run(["dvc", "remote", "modify", "--local", "s3", "endpointurl", s3.endpoint], repo)
