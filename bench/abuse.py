"""How long a real server takes to refuse abusive GraphQL documents, and whether it kept serving.

Starts ``mypd-graph serve`` (uvicorn, SQLite, the demo district) in its own process, then for each
abuse document sends it as a signed-in teacher while another task polls ``/healthz`` every 20 ms,
and prints: the refusal time, its ratio to the floor (a plain ``{ viewer { id } }`` request measured
in the same run), the error code, and the slowest ``/healthz`` answer while the document was being
refused (an event loop held by validation shows up there). Usage:

    .venv/bin/python bench/abuse.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TEACHER = "elena.ramirez@demo.mypd.test"


def doubling_fragments(levels: int) -> str:
    parts = ["query { viewer { ...F0 } }"]
    parts += [f"fragment F{i} on User {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    parts.append(f"fragment F{levels} on User {{ id }}")
    return " ".join(parts)


def nested(pairs: int) -> str:
    return "{ viewer { " + "teacher { user { " * pairs + "id" + " } }" * pairs + " } }"


ALIASES = " ".join(f"a{i}: id" for i in range(1000))
DOCUMENTS = {
    "floor: { viewer { id } }": "{ viewer { id } }",
    "doubling fragments, 16 levels": doubling_fragments(16),
    "doubling fragments, 25 levels": doubling_fragments(25),
    "doubling fragments, 40 levels": doubling_fragments(40),
    "1,000 aliases": "{ viewer { ...A } } fragment A on User { " + ALIASES + " }",
    "deep nesting, 40 levels": nested(20),
    "deep nesting, 200 levels": nested(100),
    "5,000+ tokens": "{ viewer { " + "id " * 5200 + "} }",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def wait_ready(http: httpx.AsyncClient, server: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            if (await http.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("the server did not start within 60 s")


async def refuse(http: httpx.AsyncClient, token: str, document: str) -> tuple[float, str, float]:
    """(seconds to answer, error code or 'ok', slowest /healthz answer meanwhile)."""
    done = asyncio.Event()
    slowest = 0.0

    async def poll_health() -> None:
        nonlocal slowest
        async with httpx.AsyncClient(base_url=http.base_url, timeout=120) as health:
            while not done.is_set():
                started = time.perf_counter()
                await health.get("/healthz")
                slowest = max(slowest, time.perf_counter() - started)
                await asyncio.sleep(0.02)

    poller = asyncio.create_task(poll_health())
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    response = await http.post(
        "/graphql", json={"query": document}, headers={"Authorization": f"Bearer {token}"}
    )
    elapsed = time.perf_counter() - started
    done.set()
    await poller
    errors = response.json().get("errors") or []
    code = errors[0].get("extensions", {}).get("code", "?") if errors else "ok"
    return elapsed, code, slowest


async def run(repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "MYPD_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/abuse.db",
            "MYPD_SECRET_KEY": "bench-secret-key-long-enough-for-hs256!",
        }
        port = free_port()
        server = subprocess.Popen(
            [str(BIN / "mypd-graph"), "serve", "--port", str(port), "--migrate", "--demo"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=900) as http:
                await wait_ready(http, server)
                token = subprocess.run(
                    [str(BIN / "mypd-graph"), "token", "--email", TEACHER],
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.strip()
                await report(http, token, repeat)
        finally:
            server.terminate()
            server.wait(timeout=30)


async def report(http: httpx.AsyncClient, token: str, repeat: int) -> None:
    print(
        f"{'document':32} {'bytes':>7} {'ms':>9} {'x floor':>8} {'code':18} {'slowest healthz ms':>18}"
    )
    floor = None
    for name, document in DOCUMENTS.items():
        runs = [await refuse(http, token, document) for _ in range(repeat)]
        elapsed = statistics.median(run[0] for run in runs)
        floor = floor or elapsed
        health = max(run[2] for run in runs)
        print(
            f"{name:32} {len(document.encode()):>7} {elapsed * 1000:>9.1f} "
            f"{elapsed / floor:>7.1f}x {runs[0][1]:18} {health * 1000:>18.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    asyncio.run(run(parser.parse_args().repeat))


if __name__ == "__main__":
    main()
