"""`start_fusion_server()`: runs the platform's real Flight server (`fusion start flight`) as a child process.

Used by the pytest plugin and usable directly. The CLI is found, in order, from the `cli` argument, the
FUSION_CLI variable (a `fusion` executable or the CLI's `bin.js`), the ML Fusion repository this package sits in
(`packages/cli/dist/bin.js`, after `npm run build`), or `fusion` on the PATH.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

if TYPE_CHECKING:
    from flight_fusion.client_options import ClientOptions
    from flight_fusion.service_client import FusionServiceClient

__all__ = ["FusionServer", "FusionServerError", "start_fusion_server", "find_fusion_cli"]

READY_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


class FusionServerError(RuntimeError):
    """The server could not be started (CLI missing, crashed, or never printed its ready line)."""


@dataclass
class FusionServer:
    """A running `fusion start flight` process; `close()` stops it (SIGTERM, then SIGKILL)."""

    url: str
    host: str
    port: int
    workspace: Path
    token: str | None
    process: subprocess.Popen[str] = field(repr=False)
    log_path: Path = field(repr=False)
    _owned_workspace: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    def client_options(self) -> ClientOptions:
        """Options that reach this server (explicit, so FF_* variables do not interfere)."""
        from flight_fusion.client_options import ClientOptions

        return ClientOptions(host=self.host, port=self.port, token=self.token, env={})

    def client(self) -> FusionServiceClient:
        """A new client of this server."""
        from flight_fusion.service_client import FusionServiceClient

        return FusionServiceClient(self.client_options())

    def logs(self) -> str:
        """What the server wrote to stderr so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def close(self) -> int | None:
        """Stops the server gracefully; returns its exit code."""
        code = _stop(self.process)
        if self._owned_workspace is not None:
            self._owned_workspace.cleanup()
            self._owned_workspace = None
        return code

    def __enter__(self) -> FusionServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def find_fusion_cli(cli: str | os.PathLike[str] | None = None) -> list[str]:
    """The command that runs the `fusion` CLI; raises FusionServerError saying how to provide it."""
    candidate = str(cli) if cli is not None else os.environ.get("FUSION_CLI")
    if candidate:
        return _command_for(candidate)
    for parent in Path(__file__).resolve().parents:
        bin_js = parent / "packages" / "cli" / "dist" / "bin.js"
        if bin_js.is_file():
            return _command_for(str(bin_js))
        if (parent / "packages" / "cli" / "package.json").is_file():
            raise FusionServerError(f"{bin_js} is missing; run `npm run build` in {parent} to build the fusion CLI.")
    on_path = shutil.which("fusion")
    if on_path:
        return [on_path]
    raise FusionServerError(
        "The fusion CLI was not found; install ML Fusion or set FUSION_CLI to the fusion executable or its bin.js."
    )


def _command_for(candidate: str) -> list[str]:
    if candidate.endswith((".js", ".mjs", ".cjs")):
        node = shutil.which("node")
        if node is None:
            raise FusionServerError("Node.js (node) is not on the PATH; ML Fusion's server needs Node.js 20+.")
        return [node, candidate]
    return [candidate]


def start_fusion_server(
    workspace: str | os.PathLike[str] | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str | None = None,
    env: Mapping[str, str] | None = None,
    cli: str | os.PathLike[str] | None = None,
    extra_args: Sequence[str] = (),
    ready_timeout: float = READY_TIMEOUT,
) -> FusionServer:
    """Starts `fusion start flight` on `host:port` (0 = a free port) with its data under `workspace` (a new
    temporary folder when None) and returns once the server printed its ready line.

    @example
    with start_fusion_server() as server:
        client = server.client()
    """
    fusion = find_fusion_cli(cli)
    command = [*fusion, "start", "flight", "--host", host, "--port", str(port), *extra_args]
    owned = None
    if workspace is None:
        owned = tempfile.TemporaryDirectory(prefix="fusion-workspace-")
        workspace = owned.name
    root = Path(workspace)
    data_root = root / "data"
    data_root.mkdir(parents=True, exist_ok=True)
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("FF_")}
    # HOME too: the CLI falls back to a global workspace under the home folder, whose config must not leak in.
    child_env.update({"FF_DATA_ROOT": str(data_root), "HOME": str(root), "NO_COLOR": "1"})
    if token is not None:
        child_env["FF_TOKEN"] = token
    child_env.update(env or {})
    log_path = root / "fusion-server.log"
    if not (root / ".mlfusion").is_dir():
        _init_workspace(fusion, root, child_env)
    log = log_path.open("w")
    try:
        process = subprocess.Popen(
            command,
            cwd=root,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    except OSError as error:
        log.close()
        if owned is not None:
            owned.cleanup()
        raise FusionServerError(f"Could not run {command[0]}: {error}.") from error
    log.close()
    line = _read_ready_line(process, ready_timeout)
    if line is None:
        code = _stop(process)
        logs = log_path.read_text(errors="replace")[-4000:]
        if owned is not None:
            owned.cleanup()
        state = f"exited with code {code}" if code is not None else f"printed no URL within {ready_timeout:g}s"
        raise FusionServerError(f"`{' '.join(command)}` {state}. Its log:\n{logs}")
    url = line.strip()
    parsed = urlparse(url)
    server_host = parsed.hostname or host
    if server_host in ("0.0.0.0", "::"):
        server_host = "127.0.0.1"
    if parsed.port is None:
        _stop(process)
        raise FusionServerError(f"The server's ready line {url!r} is not a URL such as grpc://127.0.0.1:50051.")
    # Keep draining stdout so that the server never blocks on a full pipe.
    threading.Thread(target=_drain, args=(process,), daemon=True).start()
    return FusionServer(
        url=url,
        host=server_host,
        port=parsed.port,
        workspace=root,
        token=token,
        process=process,
        log_path=log_path,
        _owned_workspace=owned,
    )


def _init_workspace(cli: list[str], root: Path, env: Mapping[str, str]) -> None:
    """`fusion env init --global` with HOME=root: a workspace of the server's own, as the README sets one up."""
    result = subprocess.run(
        [*cli, "env", "init", "--global"], cwd=root, env=env, capture_output=True, text=True, timeout=READY_TIMEOUT
    )
    if result.returncode != 0:
        raise FusionServerError(f"`fusion env init --global` failed in {root}: {result.stderr.strip()}")


def _read_ready_line(process: subprocess.Popen[str], timeout: float) -> str | None:
    """The first stdout line that looks like a URL, or None if the process exits or the timeout passes."""
    found: list[str] = []
    done = threading.Event()

    def reader() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if "://" in line:
                found.append(line)
                break
        done.set()

    threading.Thread(target=reader, daemon=True).start()
    done.wait(timeout)
    return found[0] if found else None


def _drain(process: subprocess.Popen[str]) -> None:
    if process.stdout is not None:
        for _ in process.stdout:
            pass


def _stop(process: subprocess.Popen[str]) -> int | None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode
