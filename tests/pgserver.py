"""A real PostgreSQL for the tests: Debian's `postgresql` package (scripts/install-system-deps.sh
installs it), `initdb` into a temporary directory, the server on a free 127.0.0.1 port (and a
socket in that directory), password authentication over TCP, stopped by its PID.

initdb refuses to run as root: as root, the data directory is owned by the `postgres` user
and the server commands run through `runuser -u postgres`."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

USER = "enamel"


def bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


class Server:
    def __init__(self, root: Path, port: int, password: str, pid: int):
        self.root, self.port, self.password, self.pid = root, port, password, pid

    def url(self, db: str = "postgres", with_password: bool = False) -> str:
        auth = f"{USER}:{self.password}" if with_password else USER
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{db}"

    def env(self) -> dict:
        """Credentials the way a pod or CI job gets them: PG* environment variables."""
        return {"PGPASSWORD": self.password, "PGCONNECT_TIMEOUT": "10"}

    def create_db(self, name: str, template: str | None = None) -> str:
        import psycopg

        with psycopg.connect(self.url(), password=self.password, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def copy_db(self, url: str, name: str) -> str:
        """A private copy of the database at `url` (nothing may be connected to it)."""
        return self.create_db(name, template=url.rsplit("/", 1)[1])


@contextlib.contextmanager
def server():
    bins = bin_dir()
    if bins is None:
        raise RuntimeError("PostgreSQL server binaries not found: run scripts/install-system-deps.sh")
    root = Path(tempfile.mkdtemp(prefix="enamel-pg-"))
    password = secrets.token_urlsafe(16)
    pid = None
    try:
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(root, pw.pw_uid, pw.pw_gid)
        root.chmod(0o700)
        pwfile = root / "pw"
        pwfile.write_text(password + "\n")
        if os.geteuid() == 0:
            os.chown(pwfile, pw.pw_uid, pw.pw_gid)
        subprocess.run(
            _as_server_user(
                [
                    str(bins / "initdb"),
                    "-D",
                    str(root / "data"),
                    "-U",
                    USER,
                    "-E",
                    "UTF8",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    f"--pwfile={pwfile}",
                    "--no-sync",
                    "--no-instructions",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        port = _free_port()
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60 -c shared_buffers=32MB"
        )
        subprocess.run(
            _as_server_user(
                [
                    str(bins / "pg_ctl"),
                    "-D",
                    str(root / "data"),
                    "-o",
                    opts,
                    "-l",
                    str(root / "server.log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=90,
        )
        pid = int((root / "data" / "postmaster.pid").read_text().splitlines()[0])
        yield Server(root, port, password, pid)
    finally:
        if pid is not None:
            stop(pid)
        shutil.rmtree(root, ignore_errors=True)


def stop(pid: int, timeout: float = 30) -> None:
    """Fast shutdown of the postmaster by PID, then SIGKILL if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
