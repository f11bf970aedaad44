"""Test helpers that start real things: a separately installed plugin distribution, a uvicorn server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def installed_distribution(source: Path, workdir: Path, module_prefix: str) -> Iterator[Path]:
    """pip-install a plugin distribution into its own directory on sys.path, as a district would
    install a vendor's package; removed (with its imported modules) afterwards. A copy of the
    sources is built, so the build leaves nothing behind in the repository."""
    sources = shutil.copytree(
        source, workdir / "src", ignore=shutil.ignore_patterns("build", "*.egg-info")
    )
    target = workdir / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(sources),
        ],
        check=True,
    )
    sys.path.insert(0, str(target))
    try:
        yield target
    finally:
        sys.path.remove(str(target))
        for name in [module for module in sys.modules if module.startswith(module_prefix)]:
            del sys.modules[name]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(command: list[str], port: int, env: dict[str, str]) -> Iterator[str]:
    """Run a server process until ``/readyz`` answers 200; yield its base URL; stop it afterwards.

    Its output goes to a file, not a pipe: a busy server would fill a pipe nobody reads and stall.
    """
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"server did not become ready:\n{log.read()}")
                time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)
