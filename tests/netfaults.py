"""Servers that misbehave on the network, for tests of timeouts: a black hole and a proxy that can hang.

``BlackHole`` accepts TCP connections and never says a word (a server whose process is stuck,
a half-open firewall). ``FlakyProxy`` forwards a local TCP port to the test PostgreSQL server's
unix socket until told to ``hang``: from then on nothing passes either way, new connections are
accepted and left waiting; ``restore`` drops the stalled connections (as the server's side would
after its own timeouts) and forwards again.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path


class BlackHole:
    """A local TCP port that accepts and never answers."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self) -> None:
        self.listener.close()
        for connection in self.held:
            connection.close()


class FlakyProxy:
    """127.0.0.1:port → a PostgreSQL unix socket, with a switch that makes the line hang."""

    def __init__(self, socket_dir: Path, pg_port: int = 5432) -> None:
        self.target = str(socket_dir / f".s.PGSQL.{pg_port}")
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.hanging = False
        self.lock = threading.Lock()
        self.pairs: list[tuple[socket.socket, socket.socket | None]] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                if self.hanging:
                    self.pairs.append((client, None))
                    continue
                server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                server.connect(self.target)
                self.pairs.append((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    sink.shutdown(socket.SHUT_WR)
                    return
                if self.hanging:  # never delivered; both ends stay open (stalled) until ``restore``
                    return
                sink.sendall(data)
        except OSError:
            return

    def hang(self) -> None:
        with self.lock:
            self.hanging = True

    def restore(self) -> None:
        with self.lock:
            self.hanging = False
            pairs, self.pairs = self.pairs, []
        for client, server in pairs:
            for end in (client, server):
                if end is not None:
                    with contextlib.suppress(OSError):
                        end.shutdown(socket.SHUT_RDWR)
                    end.close()

    def url(self, database: str, user: str = "qcoder") -> str:
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/{database}"

    def close(self) -> None:
        self.restore()
        self.listener.close()
