"""``qcoder serve``: the workbench in a browser for a group (see ``qcoder.tui.serve``)."""

from __future__ import annotations

from typing import Annotated

import typer

from qcoder.commands.common import DbOption, fail, project, state


def serve(
    db: DbOption = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; 0.0.0.0 lets other machines connect (token required).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    max_sessions: Annotated[
        int, typer.Option("--max-sessions", help="At most this many browser tabs (workbench processes) at once.")
    ] = 8,
    coder: Annotated[
        str | None, typer.Option("--coder", help="Code as this coder in every tab (default: each tab asks).")
    ] = None,
) -> None:
    """Serve the coding workbench in a browser: one workbench per tab, a random access token in the link."""
    if not 1 <= port <= 65535:
        fail(f"--port must be between 1 and 65535, got {port}")
    if max_sessions < 1:
        fail(f"--max-sessions must be at least 1, got {max_sessions}")
    with project(db) as opened:  # created or upgraded here once, so the tabs open it as it is
        url = opened.url
    state.url = url
    from qcoder.tui.serve import port_free
    from qcoder.tui.serve import serve as run_server

    if not port_free(host, port):
        fail(f"port {port} on {host} is in use; choose another with --port")
    run_server(url, host=host, port=port, max_sessions=max_sessions, coder=coder)
