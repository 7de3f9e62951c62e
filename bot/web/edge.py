"""What every response of the web process passes through: security headers, Vietnamese error
pages for unknown URLs, and ids no database column can hold.

The headers are set by a plain ASGI middleware, so static files, redirects, the webhook's JSON
and Starlette's own errors carry them as much as the pages do.
"""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = {
    # No inline script or style anywhere: an injected tag would not run even if escaping failed.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
# The widest integer an id column holds (BIGINT, SQLite's INTEGER): a larger one names nothing.
MAX_ID = 2**63 - 1
NOT_FOUND = "Không có trang này. Hãy kiểm tra lại địa chỉ hoặc quay về trang chính."
NOT_ALLOWED = "Trang này không nhận kiểu yêu cầu đó."


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in self._headers if name not in present]
            await send(message)

        await self.app(scope, receive, with_headers)


def too_large_for_an_id(value: Any) -> bool:
    return isinstance(value, int) and not -MAX_ID - 1 <= value <= MAX_ID


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    # Only the router's own "no such URL / method" answers; a route's HTTPException keeps its detail.
    if exc.status_code in (404, 405) and exc.detail in ("Not Found", "Method Not Allowed"):
        from bot.web.pages import error_response

        return error_response(request, exc.status_code, NOT_FOUND if exc.status_code == 404 else NOT_ALLOWED)
    return await http_exception_handler(request, exc)


def install(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(SecurityHeaders)
