"""A TCP proxy between Kafka clients and the run's broker that a test can pause.

Pausing holds every byte in both directions and holds new connections too, which is what
a broker process stopped with SIGSTOP looks like to its clients; but it works whichever
broker the run uses (embedded, testcontainers or given servers), because the test owns
the proxy, not the broker.

Kafka clients connect to the bootstrap address only to learn the brokers' advertised
addresses and then connect to those. So the proxy rewrites the addresses in Metadata and
FindCoordinator answers to listeners of its own (one per broker): every connection a
client makes passes through it. Everything else is forwarded byte for byte.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections import Counter
from types import TracebackType
from typing import Any

from aiokafka.protocol import coordination, metadata

PRODUCE = 0
METADATA = 3
FIND_COORDINATOR = 10

# The answers that carry broker addresses, by (api key, version). aiokafka sends only
# these versions; any other would slip a real address past the proxy, so it fails loudly.
_ADDRESS_ANSWERS: dict[tuple[int, int], Any] = {
    **{(METADATA, v): getattr(metadata, f"MetadataResponse_v{v}") for v in range(6)},
    **{
        (FIND_COORDINATOR, v): getattr(coordination, f"FindCoordinatorResponse_v{v}")
        for v in (0, 1)
    },
}


class BrokerProxy:
    def __init__(self, bootstrap_servers: str) -> None:
        host, port = bootstrap_servers.split(",")[0].rsplit(":", 1)
        self._bootstrap = (host, int(port))
        self._listeners: dict[tuple[str, int], asyncio.Server] = {}
        self._open = asyncio.Event()
        self._open.set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        # Requests and answers that the pause held, by API key.
        self.held: Counter[int] = Counter()
        self._failures: list[BaseException] = []

    @property
    def bootstrap_servers(self) -> str:
        return self._address(self._listeners[self._bootstrap])

    async def __aenter__(self) -> BrokerProxy:
        await self._listener_for(self._bootstrap)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.resume()
        for server in self._listeners.values():
            server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._failures and exc is None:
            raise self._failures[0]

    def pause(self) -> None:
        """From now on nothing passes either way until :meth:`resume`."""
        self._open.clear()

    def resume(self) -> None:
        self._open.set()

    @staticmethod
    def _address(server: asyncio.Server) -> str:
        host, port = server.sockets[0].getsockname()[:2]
        return f"{host}:{port}"

    async def _listener_for(self, upstream: tuple[str, int]) -> asyncio.Server:
        if upstream not in self._listeners:

            async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                await self._connection(upstream, reader, writer)

            self._listeners[upstream] = await asyncio.start_server(accept, "127.0.0.1", 0)
        return self._listeners[upstream]

    async def _connection(
        self,
        upstream: tuple[str, int],
        client_reader: asyncio.StreamReader,
        client_writer: asyncio.StreamWriter,
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(client_writer)
        broker_writer: asyncio.StreamWriter | None = None
        try:
            broker_reader, broker_writer = await asyncio.open_connection(*upstream)
            self._writers.add(broker_writer)
            asked: dict[int, tuple[int, int]] = {}  # correlation id -> (api key, version)
            pumps = [
                asyncio.create_task(self._requests(client_reader, broker_writer, asked)),
                asyncio.create_task(self._answers(broker_reader, client_writer, asked)),
            ]
            try:
                await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for pump in pumps:
                    pump.cancel()
                ended = await asyncio.gather(*pumps, return_exceptions=True)
            # A pump that could not rewrite an answer fails the test on leaving the proxy.
            self._failures += [e for e in ended if isinstance(e, AssertionError)]
        except OSError:
            pass  # the broker is gone: the client sees its connection close
        finally:
            for writer in (client_writer, broker_writer):
                if writer is not None:
                    writer.close()
                    self._writers.discard(writer)
            self._tasks.discard(task)

    async def _requests(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        asked: dict[int, tuple[int, int]],
    ) -> None:
        while frame := await _frame(reader):
            api_key, version, correlation = struct.unpack_from(">hhi", frame, 4)
            asked[correlation] = (api_key, version)
            if not self._open.is_set():
                self.held[api_key] += 1
            await self._forward(writer, frame)

    async def _answers(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        asked: dict[int, tuple[int, int]],
    ) -> None:
        while frame := await _frame(reader):
            (correlation,) = struct.unpack_from(">i", frame, 4)
            question = asked.pop(correlation, None)
            if question is not None and question[0] in (METADATA, FIND_COORDINATOR):
                frame = await self._rewritten(question, frame)
            if question is not None and not self._open.is_set():
                self.held[question[0]] += 1
            await self._forward(writer, frame)

    async def _forward(self, writer: asyncio.StreamWriter, frame: bytes) -> None:
        await self._open.wait()
        writer.write(frame)
        await writer.drain()

    async def _rewritten(self, question: tuple[int, int], frame: bytes) -> bytes:
        """The answer with every broker address replaced by this proxy's listener for it."""
        answer_type = _ADDRESS_ANSWERS.get(question)
        if answer_type is None:
            raise AssertionError(f"the proxy cannot rewrite API {question}: unknown version")
        answer = answer_type.decode(frame[8:])
        if question[0] == METADATA:
            brokers = []
            for node_id, host, port, *rest in answer.brokers:
                host, port = await self._local(host, port)
                brokers.append((node_id, host, port, *rest))
            answer.brokers = brokers
        elif answer.host:  # no coordinator yet: nothing to point elsewhere
            answer.host, answer.port = await self._local(answer.host, answer.port)
        body = frame[4:8] + answer.encode()
        return struct.pack(">i", len(body)) + body

    async def _local(self, host: str, port: int) -> tuple[str, int]:
        server = await self._listener_for((host, port))
        local_host, local_port = server.sockets[0].getsockname()[:2]
        return local_host, local_port


async def _frame(reader: asyncio.StreamReader) -> bytes | None:
    """One Kafka protocol frame (size prefix included), or None when the peer closed."""
    with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
        size = await reader.readexactly(4)
        (length,) = struct.unpack(">i", size)
        return size + await reader.readexactly(length)
    return None
