"""The web app's body limit: its forms upload evidence files and score files, and Starlette reads a
form whole (spooled to disk) before any page checks a size. Bodies over ``MYPD_MAX_UPLOAD_BYTES``
are refused with 413 before they are read (Content-Length) or as soon as they pass it (chunked),
as /graphql's door does."""

from __future__ import annotations

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = PlainTextResponse(
            f"The upload is larger than this service takes ({self.limit:,} bytes).\n",
            status_code=413,
        )
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.limit:
            await refusal(scope, receive, send)
            return
        seen, started, refused = 0, False, False

        async def limited() -> Message:
            nonlocal seen, refused
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit and not refused:
                refused = True
                if not started:
                    await refusal(scope, receive, send)
                # The page stops reading: to it the client went away.
                return {"type": "http.disconnect"}
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; nothing the page answers after it goes out
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, tracking)
        except Exception:
            if not refused:
                raise
