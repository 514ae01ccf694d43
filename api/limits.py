"""A cap on request bodies, answered with a 413 problem before the body is parsed."""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_JSON


class _TooLarge(Exception):
    pass


UPLOADS = "/imports"  # the path's end of a spreadsheet upload, with its own, larger limit
FORM_OVERHEAD = 64 * 1024  # a multipart body's boundaries and headers around the file


class BodySizeLimit:
    """Refuses a body longer than `max_bytes` (an upload's: `upload_bytes`), whether it declares
    its length or streams."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int | None = None):
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = upload_bytes or max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_bytes + FORM_OVERHEAD if scope["path"].endswith(UPLOADS) else self.max_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await refuse(send, limit)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await refuse(send, limit)


async def refuse(send: Send, max_bytes: int) -> None:
    """The 413 problem, written before any route runs."""
    limit = f"{max_bytes // 1024} KiB"
    body = json.dumps({"type": "/problems/body-too-large", "title": "请求过大 / Request too large",
                       "status": 413, "detail": f"请求体超过 {limit}，请分批报送 / the request body exceeds"
                                                f" {limit}; send the records in smaller batches"},
                      ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
