"""A throw-away local PostgreSQL server, for the load bench and the test suite.

:func:`local_postgres` finds Debian's ``postgresql`` binaries
(``/usr/lib/postgresql/<version>/bin``, or ``GOVPERF_PG_BIN``), runs ``initdb`` in a
temporary folder, starts the server on a free port of 127.0.0.1 (and a unix socket in
that folder), creates one database and yields its SQLAlchemy URL
(``postgresql+psycopg://govperf@127.0.0.1:<port>/govperf``); on exit the server is
stopped and the folder removed. PostgreSQL refuses to run as root: as root the server
runs as the ``postgres`` system user (``runuser``), which owns the temporary folder.

``scripts/bootstrap.sh dev`` installs the package (``apt-get install -y postgresql``)
when it is missing and it runs as root. Nothing here imports the service or a driver.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

USER = "govperf"
DATABASE = "govperf"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries here, or the server would not start."""


def find_bindir() -> Path:
    """The newest ``/usr/lib/postgresql/*/bin`` holding ``initdb`` (or ``GOVPERF_PG_BIN``)."""
    override = os.environ.get("GOVPERF_PG_BIN")
    candidates = [override] if override else glob.glob("/usr/lib/postgresql/*/bin")
    found = [Path(c) for c in candidates if (Path(c) / "initdb").exists()]
    if not found:
        raise PostgresUnavailable(
            "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb); install Debian's "
            "package: apt-get install -y postgresql (scripts/bootstrap.sh dev does as root)"
        )
    return max(found, key=lambda p: _version_key(p.parent.name))


def _version_key(name: str) -> tuple:
    return tuple(int(x) if x.isdigit() else 0 for x in name.split("."))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user() -> tuple[list[str], int | None, int | None]:
    """The command prefix and uid/gid to run the server with (root cannot)."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable("running as root and there is no `postgres` system user to run the server") from None
    return ["runuser", "-u", "postgres", "--"], pw.pw_uid, pw.pw_gid


def _run(cmd: list[str], what: str) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise PostgresUnavailable(f"{what} failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-800:]}")


class LocalPostgres:
    """One initialised and started server; :meth:`stop` stops it and removes its folder."""

    def __init__(self, *, durable: bool = True, max_connections: int = 200):
        self.bindir = find_bindir()
        self.prefix, uid, gid = _as_server_user()
        self.root = Path(tempfile.mkdtemp(prefix="govperf-pg-"))
        if uid is not None:
            os.chown(self.root, uid, gid)
        self.data = self.root / "data"
        self.port = free_port()
        self.durable = durable
        self.max_connections = max_connections
        self.started = False

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{DATABASE}"

    def _bin(self, name: str) -> str:
        return str(self.bindir / name)

    def start(self) -> str:
        _run([*self.prefix, self._bin("initdb"), "-D", str(self.data), "-U", USER, "-A", "trust",
              "-E", "UTF8", "--locale=C", "--no-sync"], "initdb")
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
                   f"-c max_connections={self.max_connections}")
        if not self.durable:  # tests: nothing here needs to survive a crash
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        _run([*self.prefix, self._bin("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
              "-w", "-t", "60", "-o", options, "start"], "pg_ctl start")
        self.started = True
        _run([self._bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, DATABASE], "createdb")
        return self.url

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return (self.root / "server.log").read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.started:
            subprocess.run([*self.prefix, self._bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
                           capture_output=True, timeout=60)
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def local_postgres(*, durable: bool = True) -> Iterator[str]:
    """Start a temporary PostgreSQL server; yields its ``postgresql+psycopg://`` URL."""
    server = LocalPostgres(durable=durable)
    try:
        yield server.start()
    finally:
        server.stop()
