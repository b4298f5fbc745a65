"""A real PostgreSQL server on 127.0.0.1 for the tests, from the Debian `postgresql` package.

It runs in a throwaway folder on a free port and stops at the end of the test session.
PostgreSQL refuses to run as root, so under root it runs as the `postgres` system user.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

USER = "pipeline"
DATABASE = "pipeline"


def server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return versions[-1].parent if versions else None


def why_unavailable() -> str | None:
    if server_binaries() is None:
        return "PostgreSQL server binaries not found (Debian package `postgresql`)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` user to run the server as"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_postgres() -> Iterator[str]:
    """Start a server; yield a SQLAlchemy URL (with a new random password) to a fresh database."""
    password = secrets.token_hex(12)
    binaries = server_binaries()
    as_user: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="pipeline-pg-"))
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data, port = folder / "data", free_port()
    password_file = folder / "password"
    password_file.write_text(password)
    if as_user:
        shutil.chown(password_file, "postgres")

    def pg(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, timeout=120)

    try:
        pg(
            str(binaries / "initdb"), "-D", str(data), "-U", USER, f"--pwfile={password_file}",
            "--auth-host=scram-sha-256", "--auth-local=trust",
        )  # fmt: skip
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder}"
        pg(
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(folder / "log"),
            "-w",
            "start",
        )
        try:
            url = f"postgresql+psycopg://{USER}:{password}@127.0.0.1:{port}"
            import sqlalchemy as sa

            engine = sa.create_engine(f"{url}/postgres", isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(sa.text(f"CREATE DATABASE {DATABASE}"))
            engine.dispose()
            yield f"{url}/{DATABASE}"
        finally:
            pg(str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
