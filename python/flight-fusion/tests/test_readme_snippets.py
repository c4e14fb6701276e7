"""The original README's Python snippets run verbatim against a real server started by the plugin's code."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
README = HERE / "data" / "original-README.md"
SEED = HERE.parents[2].parent / "shared" / "seed" / "000_0a5b19d2df0537c7.txt"


def test_the_committed_readme_is_the_original() -> None:
    if not SEED.exists():
        pytest.skip(f"{SEED} is absent (a clone outside the workspace): nothing to compare the copy with")
    assert README.read_text() == SEED.read_text()


def _private_network_available() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    probe = subprocess.run(["unshare", "-rn", "ip", "link", "set", "lo", "up"], capture_output=True)
    return probe.returncode == 0


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.parametrize(
    ("readme", "blocks"), [(README, 3), (HERE.parent / "README.md", 2)], ids=["original-README", "package-README"]
)
def test_readme_python_snippets_run_verbatim(readme: Path, blocks: int) -> None:
    script = [sys.executable, str(HERE / "readme_snippets.py"), str(readme)]
    if _private_network_available():
        # A private network namespace: the snippets' fixed port 50051 is free there whatever runs on the host.
        command = ["unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *script]
    elif _port_free(50051):
        command = script
    else:
        pytest.fail(
            "The README snippets connect to localhost:50051, which is taken on this machine, and no private network "
            "namespace is available (unshare -rn); free the port or allow unprivileged user namespaces."
        )
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, env=os.environ.copy())
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"ran {blocks} README snippets verbatim" in result.stdout
