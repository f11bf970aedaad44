"""Per-user rate limits on /graphql, counted by the ``limits`` library (a moving window).

``MYPD_RATE_LIMIT`` (for example ``300/minute``) turns it on; ``MYPD_RATE_LIMIT_STORAGE`` says
where the counts live: ``memory://`` (each process counts its own) or ``redis://host:port`` (one
count shared by every process). If the storage cannot be reached the request goes through and a
warning is logged: a broken counter must not take the service down.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

log = logging.getLogger(__name__)


def parse_limit(value: str) -> RateLimitItem:
    """``300/minute``, ``10 per second`` ...: ValueError for anything else."""
    return parse(value)


def _async_uri(uri: str) -> str:
    """``limits`` names its asyncio storages ``async+redis://``, ``async+memory://``; the setting
    is written without the prefix."""
    return uri if uri.startswith("async+") else f"async+{uri}"


@dataclass
class Verdict:
    allowed: bool
    retry_after: int = 0


class RateLimiter:
    """One limit for every user of the process (or of the shared storage)."""

    def __init__(self, limit: str, storage_uri: str = "memory://") -> None:
        self.item = parse_limit(limit)
        self.storage: Storage = storage_from_string(_async_uri(storage_uri))
        self.strategy = MovingWindowRateLimiter(self.storage)

    async def check(self, user_id: int) -> Verdict:
        """Count one request of ``user_id``; when over the limit, how many seconds to wait."""
        key = str(user_id)
        try:
            if await self.strategy.hit(self.item, "graphql", key):
                return Verdict(True)
            stats = await self.strategy.get_window_stats(self.item, "graphql", key)
        except Exception as error:  # the storage is down: let the request through
            log.warning("rate limit storage unavailable, request not counted: %s", error)
            return Verdict(True)
        return Verdict(False, max(1, math.ceil(stats.reset_time - time.time())))
