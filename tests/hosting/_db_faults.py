"""Fault injection between the app and PostgreSQL: a TCP proxy on 127.0.0.1 (asyncio streams, in its own thread)
that can drop a connection when it sees a COMMIT, freeze every connection (a frozen network path), or die
(connection refused) and come back on the same port."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url


class PgProxy:
    """Forwards 127.0.0.1:``port`` to ``upstream``. ``drop_commits``: how many COMMITs to answer by closing the
    connection (the COMMIT never reaches the server); ``frozen``: bytes are held, nothing flows either way."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.drop_commits = 0
        self.dropped = 0
        self.frozen = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def url(self, database_url: str) -> str:
        return make_url(database_url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def _call(self, coro: object) -> object:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)  # type: ignore[arg-type]

    def start(self) -> None:
        self._thread.start()
        self._call(self._listen())

    def stop(self) -> None:
        self._call(self._close_all())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def kill(self) -> None:
        """Stop listening and cut every connection: the database is 'down' (connection refused)."""
        self._call(self._close_all())

    def revive(self) -> None:
        self.frozen = False
        self._call(self._listen())

    def thaw(self) -> None:
        """End a freeze: the frozen connections are cut (as a real network would time them out), new ones flow."""
        self.frozen = False
        self._call(self._close_connections())

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close_connections(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _close_all(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        await self._close_connections()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(self._pipe(reader, up_writer, writer, client_side=True),
                             self._pipe(up_reader, writer, up_writer, client_side=False))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    other: asyncio.StreamWriter, *, client_side: bool) -> None:
        try:
            while data := await reader.read(65536):
                while self.frozen:
                    await asyncio.sleep(0.02)
                if client_side and self.drop_commits and b"COMMIT" in data.upper():
                    self.drop_commits -= 1
                    self.dropped += 1
                    break
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.transport.abort()
            other.transport.abort()


@contextmanager
def pg_proxy(database_url: str) -> Iterator[PgProxy]:
    u = make_url(database_url)
    proxy = PgProxy(u.host or "127.0.0.1", u.port or 5432)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
