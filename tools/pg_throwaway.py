"""A throwaway PostgreSQL cluster on a free loopback port, for the test suite and `make bench`."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tools.services import free_port


class PostgresUnavailable(RuntimeError):
    """Raised when no PostgreSQL binaries exist and they cannot be installed here."""


def find_bin_dir() -> Path | None:
    """Debian keeps server binaries off PATH, under /usr/lib/postgresql/<major>/bin."""
    dirs = [Path(d) for d in glob.glob("/usr/lib/postgresql/*/bin") if (Path(d) / "initdb").exists()]
    if not dirs:
        return None
    return max(dirs, key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0)


def ensure_installed() -> Path:
    """Install Debian's `postgresql` package when missing (needs root and apt); otherwise explain why not."""
    found = find_bin_dir()
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise PostgresUnavailable("PostgreSQL is not installed and apt-get as root is not available")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"]):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(cmd)} failed: {proc.stderr[-500:]}")
    found = find_bin_dir()
    if not found:
        raise PostgresUnavailable("installed the postgresql package but found no initdb")
    return found


@dataclass
class ThrowawayPostgres:
    bin_dir: Path
    base: Path
    port: int
    run_as: str | None

    @classmethod
    def start(cls, *, durable: bool = False) -> ThrowawayPostgres:
        """initdb refuses root, so as root the cluster runs as the `postgres` system user."""
        bin_dir = ensure_installed()
        run_as = None
        base = Path(tempfile.mkdtemp(prefix="cases-pg-"))
        if os.geteuid() == 0:
            run_as = "postgres"
            shutil.chown(base, user=run_as)
        pg = cls(bin_dir=bin_dir, base=base, port=free_port(), run_as=run_as)
        data = base / "data"
        pg._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        opts = f"-p {pg.port} -k {base} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not durable:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        pg._run("pg_ctl", "-D", str(data), "-o", opts, "-l", str(base / "log"), "-w", "-t", "60", "start")
        return pg

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bin_dir / tool), *args]
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise PostgresUnavailable(f"{tool} failed: {proc.stdout[-300:]} {proc.stderr[-500:]}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')  # name comes from our own code, never from input
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.base / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
