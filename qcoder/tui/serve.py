"""``qcoder serve``: the same workbench in a browser, one workbench process per tab.

Why textual-serve: it runs a Textual app as a child process behind a websocket and draws
its screen with xterm.js, so the browser gets exactly the keys and screens of the
terminal, and live refresh between coders works as between terminals (every tab polls
the event log, see ``qcoder.tui.live``). What this module adds is what a group needs to
run it safely on a shared machine:

* an access token (random, printed with the URL) checked on every request — the query
  parameter ``token`` on the first page, then an HttpOnly, SameSite=Strict cookie the
  page sets, because textual.js builds the websocket URL itself (it appends
  ``?width=…``) and cannot carry a query token; no token or a wrong one is refused
  with 403 and one line saying what to do;
* websockets only from the page's own origin (no other site can drive a workbench
  with the visitor's cookie);
* a limit on concurrent sessions (503 beyond it);
* the project is handed to each child in ``QCODER_DB`` — the page and the websocket
  carry no project URL, so a PostgreSQL password never reaches the browser;
* a tab that closes ends its process (asked to quit, killed if it has not after a few
  seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
import shlex
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

log = logging.getLogger("qcoder.serve")

TOKEN_PARAM = "token"
TOKEN_COOKIE = "qcoder_token"
DEFAULT_MAX_SESSIONS = 8
STOP_GRACE_SECONDS = 5.0
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

REFUSED_TOKEN = (
    "qcoder serve: access token missing or wrong. Open the full link that `qcoder serve` printed "
    "(it ends in ?token=...), or ask whoever runs it for the link."
)


def child_command() -> str:
    """The shell command textual-serve starts for each tab: this Python, the workbench child."""
    return f"{shlex.quote(sys.executable)} -m qcoder.tui.serve_child"


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def new_token() -> str:
    return secrets.token_urlsafe(24)


class WorkbenchService(AppService):
    """One tab's workbench process: the project in its environment, killed if it will not quit."""

    def __init__(self, command: str, *, project_db: str, coder: str | None, **kwargs: Any) -> None:
        super().__init__(command, **kwargs)
        self.project_db = project_db
        self.coder = coder

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width=width, height=height)
        environment["QCODER_DB"] = self.project_db
        environment.pop("QCODER_SERVE_CODER", None)
        if self.coder:
            environment["QCODER_SERVE_CODER"] = self.coder
        return environment

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def stop(self) -> None:
        """Ask the workbench to quit; kill it if it is still running after a grace period."""
        process = self._process
        if self._task is not None:
            with contextlib.suppress(TimeoutError, ConnectionError):
                await asyncio.wait_for(super().stop(), STOP_GRACE_SECONDS)
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


class WorkbenchServer(Server):
    """textual-serve's server with the token, the origin check, the session limit and the project."""

    def __init__(
        self,
        project_db: str,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        token: str | None = None,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        coder: str | None = None,
        announce: Callable[[str], None] = print,
    ) -> None:
        super().__init__(child_command(), host=host, port=port, title="qcoder")
        self.project_db = project_db
        self.token = token or new_token()
        self.max_sessions = max_sessions
        self.coder = coder
        self.announce = announce
        self.sessions: dict[str, int | None] = {}  # app service id -> workbench process id

    # ------------------------------------------------------------------ urls
    @property
    def browse_host(self) -> str:
        """The host to put in the printed link (0.0.0.0 is not an address a browser can open)."""
        if self.host in ("0.0.0.0", "::", ""):
            import socket

            return socket.gethostname()
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def link(self) -> str:
        return f"http://{self.browse_host}:{self.port}/?{TOKEN_PARAM}={self.token}"

    # ------------------------------------------------------------------ safety
    def token_ok(self, request: web.Request) -> bool:
        offered = request.query.get(TOKEN_PARAM) or request.cookies.get(TOKEN_COOKIE) or ""
        return hmac.compare_digest(offered.encode(), self.token.encode())

    @web.middleware
    async def guard(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Every request needs the token; the first page sets it as a cookie for the rest."""
        if not self.token_ok(request):
            log.warning("refused %s %s from %s: no or wrong token", request.method, request.path, request.remote)
            return web.Response(status=403, text=REFUSED_TOKEN + "\n")
        response = await handler(request)
        if request.query.get(TOKEN_PARAM):
            response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="Strict", path="/")
        if not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    def full(self) -> bool:
        return len(self.sessions) >= self.max_sessions

    def refuse_full(self) -> web.HTTPServiceUnavailable:
        return web.HTTPServiceUnavailable(
            text=(
                f"qcoder serve: {self.max_sessions} workbench sessions are open, the limit; close a tab "
                "or restart `qcoder serve` with a larger --max-sessions.\n"
            ),
        )

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self.guard)
        return app

    async def on_startup(self, app: web.Application) -> None:
        for line in startup_lines(self):
            self.announce(line)

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        if self.full():
            raise self.refuse_full()
        response = await self._render_index(request)
        assert isinstance(response, web.StreamResponse)
        return response

    async def _render_index(self, request: web.Request) -> Any:
        import aiohttp_jinja2

        font_size = to_int(request.query.get("fontsize", "16"), 16)
        # URLs from the Host the browser used, so the page works on 0.0.0.0 and behind a tunnel
        scheme = "wss" if request.secure else "ws"
        context = {
            "font_size": font_size,
            "app_websocket_url": f"{scheme}://{request.host}/ws",
            "config": {"static": {"url": f"{request.scheme}://{request.host}/static/"}},
            "application": {"name": self.title},
        }
        return aiohttp_jinja2.render_template("app_index.html", request, context)

    def origin_ok(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if origin is None:
            return True  # not a browser page (a browser always sends Origin on a websocket)
        return origin in (f"http://{request.host}", f"https://{request.host}")

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One tab: start its workbench process, pass keys and screens, end it when the tab goes."""
        if not self.origin_ok(request):
            log.warning("refused a websocket from origin %s", request.headers.get("Origin"))
            raise web.HTTPForbidden(text="qcoder serve: websocket from another site refused\n")
        if self.full():
            raise self.refuse_full()
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        service = WorkbenchService(
            self.command,
            project_db=self.project_db,
            coder=self.coder,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
            debug=self.debug,
        )
        self.sessions[service.app_service_id] = None
        try:
            await websocket.prepare(request)
            await service.start(width, height)
            self.sessions[service.app_service_id] = service.pid
            self.announce(f"session started: workbench process {service.pid} ({len(self.sessions)} open)")
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # one tab's failure must not stop the server
            log.exception(error)
        finally:
            await service.stop()
            self.sessions.pop(service.app_service_id, None)
            self.announce(f"session ended: workbench process {service.pid} ({len(self.sessions)} open)")
        return websocket


def startup_lines(server: WorkbenchServer) -> list[str]:
    """What ``qcoder serve`` prints: the link with its token, and what the host choice means."""
    lines = [
        f"qcoder serve: the workbench for {_project_label(server.project_db)}",
        f"open in a browser: {server.link}",
        "the access token in this link is required on every request; share the link only with your group",
        f"at most {server.max_sessions} workbench sessions at once; each browser tab is its own coder session",
    ]
    if not is_loopback(server.host):
        lines.append(
            f"listening on {server.host}: anyone who can reach this machine on port {server.port} and has the "
            "token can code; the connection is not encrypted, so on an untrusted network use an SSH tunnel "
            "or an HTTPS proxy"
        )
    else:
        lines.append("listening on this machine only (use --host 0.0.0.0 to let the group's machines connect)")
    lines.append("press Ctrl+C to stop")
    return lines


def _project_label(db: str) -> str:
    """The project as it may be shown: a path, or a server URL without its password."""
    if "://" not in db:
        return db
    from sqlalchemy.engine import make_url

    return make_url(db).render_as_string(hide_password=True)


def serve(
    project_db: str,
    *,
    host: str,
    port: int,
    max_sessions: int,
    coder: str | None = None,
    token: str | None = None,
) -> None:
    """Run the server until Ctrl+C."""
    server = WorkbenchServer(
        project_db,
        host=host,
        port=port,
        token=token,
        max_sessions=max_sessions,
        coder=coder,
        announce=lambda line: print(line, flush=True),
    )
    server.serve()


def port_free(host: str, port: int) -> bool:
    """Whether the server can listen there (a clear line beats aiohttp's traceback)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True
