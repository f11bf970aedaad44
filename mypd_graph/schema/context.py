"""The per-request context: who is asking, how to open sessions, and the request's DataLoaders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from mypd_graph.db import SessionMaker
from mypd_graph.observability.requests import current as observed_request
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.services.access import Actor
from mypd_graph.services.privacy.audit import RequestInfo, request_id_from, request_sessionmaker
from mypd_graph.settings import Settings

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

BatchFunction = Callable[[AsyncSession, Actor, Sequence[K]], Awaitable[Sequence[V]]]
PublicBatchFunction = Callable[[AsyncSession, Sequence[K]], Awaitable[Sequence[V]]]


@dataclass
class Context:
    """Built once per request. Loaders live here, so nothing cached outlives the request or its viewer.

    Sibling fields resolve concurrently, so the context holds a sessionmaker, never a session: each
    loader batch opens its own short session.
    """

    signed_in: Actor | None
    sessionmaker: SessionMaker
    settings: Settings
    plugins: PluginSet
    request: Any = None
    response: Any = None
    _loaders: dict[Callable[..., Any], DataLoader[Any, Any]] = field(default_factory=dict)
    request_id: str = ""

    def __post_init__(self) -> None:
        """Sessions of this request carry who asks, the request id and the client address, which
        every audit event written in them records; the id is echoed in ``X-Request-ID``."""
        headers = getattr(self.request, "headers", None) or {}
        record = observed_request()  # the HTTP request's record, whose id its log line carries
        self.request_id = (
            record.request_id if record else request_id_from(headers.get("x-request-id"))
        )
        client = getattr(self.request, "client", None)
        address = getattr(client, "host", None)
        self.sessionmaker = request_sessionmaker(
            self.sessionmaker, RequestInfo(self.signed_in, self.request_id, address)
        )
        response_headers = getattr(self.response, "headers", None)
        if response_headers is not None:
            response_headers["X-Request-ID"] = self.request_id

    @property
    def actor(self) -> Actor:
        """Who is asking. The HTTP guard authenticates every request that runs an operation."""
        if self.signed_in is None:
            raise PermissionError("authentication required")
        return self.signed_in

    def loader(self, batch: BatchFunction[K, V]) -> DataLoader[K, V]:
        """The request's DataLoader for a service batch function, created on first use."""
        return self._loader(batch, with_actor=True)

    def public_loader(self, batch: PublicBatchFunction[K, V]) -> DataLoader[K, V]:
        """Like :meth:`loader`, for data every signed-in user may read (frameworks, levels)."""
        return self._loader(batch, with_actor=False)

    def _loader(self, batch: Callable[..., Any], with_actor: bool) -> DataLoader[Any, Any]:
        existing = self._loaders.get(batch)
        if existing is None:

            async def load(keys: list[Any]) -> Sequence[Any]:
                async with self.sessionmaker() as session:
                    args = (session, self.actor, keys) if with_actor else (session, keys)
                    result = await batch(*args)
                    if session.in_transaction():
                        await session.commit()  # audit events written while reading
                    return result

            existing = DataLoader(load_fn=load)
            self._loaders[batch] = existing
        return existing

    def clear_loaders(self) -> None:
        self._loaders.clear()

    async def read(self, function: Callable[..., Awaitable[V]], *args: Any, **kwargs: Any) -> V:
        """Run one read-only service call in a short session of its own."""
        async with self.sessionmaker() as session:
            result = await function(session, self.actor, *args, **kwargs)
            if session.in_transaction():
                await session.commit()
            return result


Info: TypeAlias = StrawberryInfo[Context, None]
