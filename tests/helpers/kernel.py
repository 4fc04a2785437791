"""Real kernels for the tests: notebooks run by nbclient, and a kernel started by
jupyter_client with a blocking client (as JupyterLab would start it, minus the server)."""

from __future__ import annotations

import os
import queue
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client import KernelManager
from jupyter_client.blocking import BlockingKernelClient

import nepnb
from tests.helpers.nbrun import execute, make_notebook

#: Seconds a kernel has to answer a request.
TIMEOUT = 20.0


def run_cells(folder: Path, *sources: str, name: str = "demo.ipynb") -> list[Any]:
    """Save a notebook of ``sources`` as folder/name and run it there (nbclient), like a user."""
    notebook = make_notebook(*sources)
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, folder / name)
    return list(execute(notebook, folder, allow_errors=True).cells)


def stored(run_id: str = "DEF-1") -> Any:
    return nepnb.init_run(with_id=run_id, mode="read-only")


def values(run: Any, path: str) -> dict[int, Any]:
    frame = run[path].fetch_values()
    return {int(step): value for step, value in zip(frame["step"], frame["value"], strict=True)}


@dataclass
class Reply:
    """What one request made the kernel send on iopub, up to its idle status."""

    stdout: str = ""
    stderr: str = ""
    error: str | None = None
    comm: list[dict[str, Any]] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        lines = [line for line in self.stdout.splitlines() if line.startswith("RUN ")]
        assert lines, f"the cell printed no run id: {self.stdout!r} {self.stderr!r} {self.error}"
        return lines[-1].split()[1]


class Kernel:
    """A real IPython kernel started by jupyter_client in ``cwd``, and a blocking client."""

    def __init__(self, cwd: Path, home: Path, log: Path) -> None:
        env = {key: value for key, value in os.environ.items() if key != "JPY_SESSION_NAME"}
        env["NEPNB_HOME"] = str(home)
        self.log_path = log
        self._log = log.open("ab")
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(cwd=str(cwd), env=env, stderr=self._log, stdout=self._log)
        self.client: BlockingKernelClient = self._connect()

    def _connect(self) -> BlockingKernelClient:
        client = self.manager.client()
        client.start_channels()
        client.wait_for_ready(timeout=TIMEOUT)
        return client

    @property
    def pid(self) -> int:
        provisioner = self.manager.provisioner
        assert provisioner is not None
        pid = provisioner.pid  # type: ignore[attr-defined]
        assert isinstance(pid, int)
        return pid

    def collect(self, parent_id: str) -> Reply:
        """The iopub messages of request ``parent_id`` until the kernel is idle after it."""
        reply = Reply()
        deadline = time.monotonic() + TIMEOUT
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no idle status for {parent_id} within {TIMEOUT}s"
            try:
                message = self.client.get_iopub_msg(timeout=remaining)
            except queue.Empty:
                continue
            kind, content = message["msg_type"], message["content"]
            if message["parent_header"].get("msg_id") != parent_id:
                continue
            if kind == "stream":
                if content["name"] == "stdout":
                    reply.stdout += content["text"]
                else:
                    reply.stderr += content["text"]
            elif kind == "error":
                reply.error = f"{content['ename']}: {content['evalue']}"
            elif kind == "comm_msg":
                reply.comm.append(content["data"])
            elif kind == "comm_close":
                reply.closed.append(content["comm_id"])
            elif kind == "status" and content["execution_state"] == "idle":
                return reply

    def execute(self, code: str, *, allow_error: bool = False) -> Reply:
        msg_id = self.client.execute(code)
        reply = self.collect(msg_id)
        shell = self.client.get_shell_msg(timeout=TIMEOUT)
        while shell["parent_header"].get("msg_id") != msg_id:  # wait_for_ready's extra replies
            shell = self.client.get_shell_msg(timeout=TIMEOUT)
        if not allow_error:
            assert reply.error is None, f"{code!r} raised {reply.error}\n{reply.stderr}"
            assert shell["content"]["status"] == "ok", shell["content"]
        return reply

    def _send(self, kind: str, content: dict[str, Any]) -> str:
        message = self.client.session.msg(kind, content)
        self.client.shell_channel.send(message)
        return str(message["header"]["msg_id"])

    def open_comm(self, data: dict[str, Any]) -> tuple[str, Reply]:
        """Open a comm to target ``nepnb`` as JupyterLab does (on the shell channel)."""
        comm_id = uuid.uuid4().hex
        msg_id = self._send("comm_open", {"comm_id": comm_id, "target_name": "nepnb", "data": data})
        return comm_id, self.collect(msg_id)

    def send_comm(self, comm_id: str, data: dict[str, Any]) -> str:
        """Send a comm_msg on the shell channel, as JupyterLab does; returns its msg_id."""
        return self._send("comm_msg", {"comm_id": comm_id, "data": data})

    def comm_exchange(self, comm_id: str, data: dict[str, Any]) -> Reply:
        """Send a comm message and wait until the kernel has handled it."""
        return self.collect(self.send_comm(comm_id, data))

    def restart(self) -> None:
        """A graceful restart (shutdown_request with restart=True), then a new client."""
        self.client.stop_channels()
        self.manager.restart_kernel(now=False)
        self.client = self._connect()

    def shutdown(self) -> None:
        """A graceful shutdown (shutdown_request), waiting for the kernel to exit."""
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=False)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def close(self) -> None:
        try:
            self.client.stop_channels()
            if self.manager.has_kernel:
                self.manager.shutdown_kernel(now=True)
        finally:
            self._log.close()
