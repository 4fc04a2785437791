"""Start real server processes (JupyterLab, the tracking server, PostgreSQL) on loopback ports."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(
    url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 90
) -> None:
    """Poll `url` until it answers 200; fail with the server's log if it dies or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited with {process.returncode}:\n{log.read_text()[-4000:]}"
            )
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"server at {url} not up after {timeout}s:\n{log.read_text()[-4000:]}")


@dataclass(frozen=True)
class JupyterLab:
    """A running `jupyter lab` process."""

    url: str
    token: str
    root_dir: Path
    home: Path
    log: Path

    def lab_url(self, path: str = "lab") -> str:
        return f"{self.url}/{path}?token={self.token}"


@contextmanager
def running_jupyter_lab(
    workdir: Path, log: Path, token: str = "nepnb-test-token", app: str = "jupyterlab"
) -> Iterator[JupyterLab]:
    """Start JupyterLab on a free loopback port, isolated in `workdir`; stop it afterwards.

    `app` is the Python module started: "jupyterlab", or "notebook" for Notebook 7
    (same server and extensions, its pages under /tree and /notebooks).
    """
    root_dir, home, config = workdir / "root", workdir / "nepnb-home", workdir / "jupyter"
    for folder in (root_dir, home, config):
        folder.mkdir(parents=True, exist_ok=True)
    # No "get notified about Jupyter news?" toast over the pages under test.
    news = (
        config
        / "settings"
        / "@jupyterlab"
        / "apputils-extension"
        / "notification.jupyterlab-settings"
    )
    news.parent.mkdir(parents=True, exist_ok=True)
    news.write_text('{"fetchNews": "false"}')
    port = free_port()
    env = {
        **os.environ,
        "NEPNB_HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(config / "config"),
        "JUPYTER_RUNTIME_DIR": str(config / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(config / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(config / "workspaces"),
        "IPYTHONDIR": str(config / "ipython"),
    }
    command = [
        sys.executable, "-m", app,
        "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(f"{url}/api/status?token={token}", process, log)
            yield JupyterLab(url=url, token=token, root_dir=root_dir, home=home, log=log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# The tracking server ----------------------------------------------------------------------


@dataclass
class TrackingServer:
    """A `nepnb server` process on a loopback port; ``stop()`` kills it, ``start()`` again."""

    database: str
    blobs: Path | str  # a folder or s3://BUCKET/PREFIX
    log: Path
    port: int
    workers: int = 1
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "nepnb", "server", "--database", self.database,
                    "--blobs", str(self.blobs), "--port", str(self.port), "--log-level", "warning",
                    "--workers", str(self.workers),
                ],
                stdout=out, stderr=subprocess.STDOUT, env=env,
            )  # fmt: skip
        wait_until_up(f"{self.url}/api/v1/health", self.process, self.log)

    def kill(self) -> None:
        """Kill the process at once (SIGKILL): no clean shutdown."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def running_tracking_server(
    database: str, folder: Path, port: int | None = None
) -> Iterator[TrackingServer]:
    """A tracking server over ``database``, its blobs and log in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    server = TrackingServer(database, folder / "blobs", folder / "server.log", port or free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


# PostgreSQL -------------------------------------------------------------------------------


def postgres_bin() -> Path | None:
    """The folder of Debian's PostgreSQL binaries (initdb, pg_ctl), newest first; or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    return found[0].parent if found else None


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run as the `postgres` system user then."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextmanager
def running_postgres(folder: Path) -> Iterator[str]:
    """A PostgreSQL server in ``folder`` (made with initdb) on a loopback port; yields the URL
    of an empty database ``nepnb``."""
    binaries = postgres_bin()
    if binaries is None:
        raise RuntimeError("PostgreSQL is not installed: apt-get install -y postgresql")
    folder.mkdir(parents=True, exist_ok=True)
    data, log = folder / "data", folder / "postgres.log"
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "postgres", str(folder)], check=True)
        folder.chmod(0o755)
        for parent in folder.parents:  # the postgres user must reach the folder
            if parent == Path("/"):
                break
            parent.chmod(parent.stat().st_mode | 0o011)
    run = subprocess.run
    run(
        _as_postgres([str(binaries / "initdb"), "-D", str(data), "-U", "postgres",
                      "--auth=trust", "-E", "UTF8", "--no-sync"]),
        check=True, capture_output=True,
    )  # fmt: skip
    for attempt in range(3):  # another process may take the free port first: try another
        port = free_port()
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        started = run(
            _as_postgres([str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                          str(log), "-w", "start"]),
            capture_output=True,
        )  # fmt: skip
        if started.returncode == 0:
            break
        if attempt == 2:
            raise RuntimeError(f"PostgreSQL did not start:\n{log.read_text()[-2000:]}")
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    try:
        run(
            _as_postgres([str(binaries / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                          "-U", "postgres", "nepnb"]),
            check=True, capture_output=True,
        )  # fmt: skip
        yield f"postgresql://postgres@127.0.0.1:{port}/nepnb"
    finally:
        stopped = run(
            _as_postgres([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        if stopped.returncode != 0:  # e.g. the folder became unreachable: stop it by its pid
            with contextlib.suppress(ProcessLookupError):
                os.kill(postmaster, signal.SIGQUIT)


# A pool of tracking servers for a test session ----------------------------------------------

#: Tables of tracking data, children first (accounts and tokens are kept between tests).
TRACKING_TABLES = (
    "series_chunks", "fields", "applied_batches", "parts", "blob_projects", "checkpoints",
    "notebooks", "counters", "project_members", "objects", "projects",
)  # fmt: skip


@dataclass
class Deployment:
    """A tracking server with its database, and the API key of an admin of it."""

    name: str
    server: TrackingServer
    database: str
    admin_key: str

    def reset(self) -> None:
        """Remove all tracking data (projects, objects, checkpoints, blobs); keep accounts."""
        import shutil

        from sqlalchemy import text

        from nepnb.server.database import make_engine

        engine = make_engine(self.database)
        with engine.connect().execution_options(nepnb_write=True) as con, con.begin():
            for table in TRACKING_TABLES:
                con.execute(text(f"DELETE FROM {table}"))
        engine.dispose()
        shutil.rmtree(self.server.blobs, ignore_errors=True)


class ServerPool:
    """Tracking servers started on first use and kept for the session: "sqlite", "postgres"."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.deployments: dict[str, Deployment] = {}
        self._stack = contextlib.ExitStack()

    def get(self, name: str) -> Deployment:
        if name not in self.deployments:
            self.deployments[name] = self._start(name)
        return self.deployments[name]

    def _start(self, name: str) -> Deployment:

        folder = self.folder / name
        folder.mkdir(parents=True, exist_ok=True)
        if name == "postgres":
            # Not under pytest's temp root: pytest makes that 0700 again when another session
            # starts, and the postgres user must reach its folder until the end.
            pg_folder = Path(tempfile.mkdtemp(prefix="nepnb-test-pg-"))
            self._stack.callback(shutil.rmtree, pg_folder, True)
            database = self._stack.enter_context(running_postgres(pg_folder))
        else:
            database = f"sqlite:///{folder / 'server.db'}"
        admin_key = with_admin(database)
        server = self._stack.enter_context(running_tracking_server(database, folder / "server"))
        return Deployment(name, server, database, admin_key)

    def close(self) -> None:
        self._stack.close()


def with_admin(database: str) -> str:
    """Migrate ``database`` and make an admin account in it; returns the admin's API key."""
    from nepnb.server.auth import Identity, decode_token
    from nepnb.server.database import make_engine, migrate

    engine = make_engine(database)
    migrate(engine)
    identity = Identity(engine)
    identity.create_account("admin", admin=True)
    _, token = identity.issue_token("admin", api_url="http://unused")
    engine.dispose()
    return decode_token(token)[1]


def restart_postgres(folder: Path) -> None:
    """Restart the PostgreSQL of ``running_postgres(folder)``, dropping every connection."""
    binaries = postgres_bin()
    assert binaries is not None
    subprocess.run(
        _as_postgres([str(binaries / "pg_ctl"), "-D", str(folder / "data"), "-m", "fast",
                      "-l", str(folder / "postgres.log"), "-w", "restart"]),
        check=True, capture_output=True,
    )  # fmt: skip


@contextmanager
def postgres_stopped(folder: Path) -> Iterator[None]:
    """The PostgreSQL of ``running_postgres(folder)`` stopped, then started again as it was."""
    binaries = postgres_bin()
    assert binaries is not None
    data = folder / "data"
    options = shlex.split((data / "postmaster.opts").read_text())[3:]  # after postgres -D DIR
    pg_ctl = [str(binaries / "pg_ctl"), "-D", str(data)]
    subprocess.run(_as_postgres([*pg_ctl, "-m", "fast", "-w", "stop"]), check=True,
                   capture_output=True)  # fmt: skip
    try:
        yield
    finally:
        subprocess.run(
            _as_postgres([*pg_ctl, "-o", shlex.join(options), "-l", str(folder / "postgres.log"),
                          "-w", "start"]),
            check=True, capture_output=True,
        )  # fmt: skip


def fresh_postgres_database(pool: ServerPool, name: str) -> str:
    """The URL of a new, empty database ``name`` on the session's PostgreSQL."""
    from sqlalchemy import text

    from nepnb.server.database import make_engine

    base = pool.get("postgres").database
    engine = make_engine(base)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as con:
        con.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        con.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return base.rsplit("/", 1)[0] + f"/{name}"
