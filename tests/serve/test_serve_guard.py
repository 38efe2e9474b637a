"""`qcoder serve`'s guard without a browser: token, origin, session limit, and what the page carries."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from typer.testing import CliRunner

from qcoder.cli import app
from qcoder.tui.serve import TOKEN_COOKIE, WorkbenchServer, WorkbenchService, startup_lines

SECRET_URL = "postgresql+psycopg://coder:s3cret-pass@db.example:5432/project"


def _run(check: Any) -> None:
    async def main() -> None:
        server = WorkbenchServer(SECRET_URL, token="tok-123", max_sessions=1, announce=lambda line: None)
        client = TestClient(TestServer(await server._make_app()))
        await client.start_server()
        try:
            await check(server, client)
        finally:
            await client.close()

    asyncio.run(main())


def test_every_request_needs_the_token() -> None:
    async def check(server: WorkbenchServer, client: TestClient) -> None:
        for path in ("/", "/?token=wrong", "/static/js/textual.js", "/ws", "/download/x"):
            response = await client.get(path)
            assert response.status == 403, path
            assert "access token" in await response.text()
        page = await client.get("/?token=tok-123")
        assert page.status == 200
        assert page.cookies[TOKEN_COOKIE].value == "tok-123"
        assert page.cookies[TOKEN_COOKIE]["httponly"]
        # the cookie the page set now opens the scripts the page loads
        script = await client.get("/static/js/textual.js")
        assert script.status == 200

    _run(check)


def test_the_page_carries_no_project_url_or_password() -> None:
    async def check(server: WorkbenchServer, client: TestClient) -> None:
        html = await (await client.get("/?token=tok-123")).text()
        assert "s3cret-pass" not in html and "db.example" not in html
        assert "/ws" in html  # the websocket the page opens, on the host the browser used
        # the child gets the project in its environment
        service = WorkbenchService(
            "true",
            project_db=server.project_db,
            coder=None,
            write_bytes=None,  # type: ignore[arg-type]
            write_str=None,  # type: ignore[arg-type]
            close=None,  # type: ignore[arg-type]
            download_manager=server.download_manager,
        )
        environment = service._build_environment(100, 30)
        assert environment["QCODER_DB"] == SECRET_URL
        assert environment["TEXTUAL_DRIVER"].endswith("WebDriver")

    _run(check)


def test_websockets_from_other_sites_and_beyond_the_limit_are_refused() -> None:
    async def check(server: WorkbenchServer, client: TestClient) -> None:
        cookies = {"Cookie": f"{TOKEN_COOKIE}=tok-123"}
        foreign = await client.get("/ws", headers={**cookies, "Origin": "http://evil.example"})
        assert foreign.status == 403
        server.sessions["someone"] = 1234  # the one allowed session is taken
        full = await client.get("/?token=tok-123")
        assert full.status == 503 and "--max-sessions" in await full.text()
        busy = await client.get("/ws", headers=cookies)
        assert busy.status == 503

    _run(check)


def test_listening_beyond_this_machine_says_the_token_is_required() -> None:
    everywhere = WorkbenchServer(SECRET_URL, host="0.0.0.0", port=8123, token="tok", announce=lambda line: None)
    text = "\n".join(startup_lines(everywhere))
    assert "token" in text and "0.0.0.0" in text and "not encrypted" in text
    assert "s3cret-pass" not in text and "?token=tok" in text
    assert "0.0.0.0:" not in everywhere.link  # a link a browser can open
    local = "\n".join(startup_lines(WorkbenchServer(SECRET_URL, token="tok", announce=lambda line: None)))
    assert "this machine only" in local and "http://127.0.0.1:8000/?token=tok" in local


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--port", "0"], "--port"), (["--max-sessions", "0"], "--max-sessions")],
)
def test_bad_options_fail_in_one_line(tmp_path: Any, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "p.db"), *args])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
