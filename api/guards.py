"""What a request meets before its route: one that brings a body shows its token before a byte of
the body is read."""

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api import deps
from api.problems import ApiProblem, problem_response

# Requests that may carry a body, and the only routes that take one from anyone: development's
# sign-in (which answers loopback callers only).
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_ANONYMOUS_BODIES = ("/v1/dev/",)


class AuthenticateFirst:
    """401 for a write without a valid bearer token, before its body is received: an anonymous
    caller costs a header's check, never the parsing of megabytes. The route checks the token
    again with the scope and role (a token verified once is remembered: `auth.decode`)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in _READS and scope["path"].startswith("/v1/") \
                and not scope["path"].startswith(_ANONYMOUS_BODIES):
            request = Request(scope)  # headers only: it is never given `receive`
            try:
                deps.authenticate(request, await deps.bearer(request))
            except ApiProblem as refused:
                await problem_response(refused.body, refused.headers)(scope, receive, send)
                return
        await self.app(scope, receive, send)
