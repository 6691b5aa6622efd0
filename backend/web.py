"""The customer pages (resources/web/): ordering, an order's status, the pickup screen
and the kiosk, served as static files next to /graphql with a strict
Content-Security-Policy; and the check that refuses other origins' browser requests.

The pages are plain files: they talk to the API like any client (no staff token), so
serving them needs no state of the backend.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from backend._strawberry import is_same_origin, normalize_origin
from backend.api.view import error_response
from backend.errors import ErrorCode
from backend.settings import resource_path

ASSETS_PREFIX = "/web"
# Page path -> file in resources/web/.
PAGES = {
    "": "order.html",
    "/order": "order.html",
    "/kiosk": "order.html",  # order.js turns it into the kiosk
    "/pickup": "pickup.html",
}
STATUS_PAGE = "status.html"
_ORDER_PATH = re.compile(r"^/orders/[A-Za-z0-9_-]{1,100}$")

# Scripts, styles and connections from this origin only (the WebSocket included), no
# inline script, no frames; the chime is made by Web Audio, the QR codes elsewhere.
# ``{connect}`` is 'self' and, when the request names its host, that host's ws: and wss:
# (content_security_policy).
_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src {connect}; manifest-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
CONTENT_SECURITY_POLICY = _POLICY.format(connect="'self'")  # without a usable Host
# A Host header as a CSP source may write it: a name or an address, and a port. Anything
# else (a ';' would start a directive of its own) gets the policy without it.
_HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")


def content_security_policy(host: str | None) -> str:
    """The pages' policy for a request to ``host`` (its Host header).

    Safari before 16 does not count a same-origin WebSocket as 'self', so the socket
    the pages follow orders through is named as ``ws://host`` and ``wss://host`` too.
    """
    if host is None or not _HOST.match(host):
        return CONTENT_SECURITY_POLICY
    return _POLICY.format(connect=f"'self' ws://{host} wss://{host}")


# The status page's address carries the order's access token: never send it on.
SECURITY_HEADERS = {
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cache-control": "no-cache",
}


def web_root() -> Path:
    return resource_path("web")


def page_for(path: str) -> str | None:
    """The file of a page path (without its trailing slash), or None."""
    if path in PAGES:
        return PAGES[path]
    if _ORDER_PATH.match(path):
        return STATUS_PAGE
    return None


class CustomerPages:
    """GET (and HEAD) of the pages and of their assets under ``/web/``."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or web_root()
        self.assets = StaticFiles(directory=self.root, check_dir=False)

    def serves(self, path: str) -> bool:
        return page_for(path) is not None or path.startswith(ASSETS_PREFIX + "/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"].rstrip("/")
        secured = {
            "content-security-policy": content_security_policy(Headers(scope=scope).get("host")),
            **SECURITY_HEADERS,
        }

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.decode("latin-1") not in secured
                ]
                headers += [(k.encode(), v.encode()) for k, v in secured.items()]
                message = {**message, "headers": headers}
            await send(message)

        if scope["method"] not in ("GET", "HEAD"):
            response: Response = Response(
                "the customer pages are read with GET", status_code=405, headers={"allow": "GET"}
            )
            await response(scope, receive, send_secured)
            return
        page = page_for(path)
        if page is not None:
            response = FileResponse(self.root / page, media_type="text/html; charset=utf-8")
            await response(scope, receive, send_secured)
            return
        inner = {**scope, "path": scope["path"][len(ASSETS_PREFIX) :], "root_path": ""}
        try:
            await self.assets(inner, receive, send_secured)
        except HTTPException as exc:  # StaticFiles' 404 (or 405), raised outside an app
            response = error_response(
                exc.status_code, f"no such file of the customer pages: {path}", ErrorCode.NOT_FOUND
            )
            await response(scope, receive, send_secured)


def cross_origin(scope: Scope, allowed: Collection[str]) -> bool:
    """True for a browser request sent by a page of another origin that is not allowed.

    Browsers send ``Origin`` on every POST (and on WebSocket handshakes, which strawberry
    checks itself); a request without it is no browser's, and carries no page's intent.
    """
    headers = Headers(scope=scope)
    origin = headers.get("origin")
    if origin is None:
        return False
    if headers.get("sec-fetch-site") == "same-origin" or is_same_origin(
        origin, headers.get("host")
    ):
        return False
    if "*" in allowed:
        return False
    return normalize_origin(origin) not in allowed
