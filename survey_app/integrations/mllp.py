"""An MLLP listener for HL7 v2 discharges (``flask intake mllp``), served by ``hl7.mllp``
on asyncio: each framed message is one input (its own batch) and is answered, in a frame,
with its ACK (see :mod:`survey_app.integrations.hl7_ack`).

MLLP has no authentication of its own: the listener imports for the one provider it was
started for, so it must listen only where that trust's integration engine can reach it
(an internal interface, a VPN or a TLS tunnel), never on a public address. Messages are
imported one at a time, in a worker thread with the app context, so the event loop keeps
reading while the database works.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import hl7.mllp
from flask import Flask

from survey_app.extensions import db
from survey_app.integrations.hl7_ack import ack
from survey_app.integrations.hl7_discharge import Hl7Options, Outcome, import_hl7
from survey_app.integrations.hl7_message import FRAME_END, FRAME_START, Refusal
from survey_app.services.intake_rules import organisation

log = logging.getLogger(__name__)
DEFAULT_LIMIT = 10 * 1024 * 1024


def refusal_ack(code: str, text: str) -> bytes:
    """An ACK for a frame we could not even read a header from."""
    return ack(Outcome(0, "", None, code, [Refusal("", 207 if code == "AE" else 100, text)]),
               ).encode("utf-8")


@dataclass
class Listener:
    """Answers framed HL7 v2 messages for one provider."""

    app: Flask
    provider_code: str
    options: Hl7Options = field(default_factory=Hl7Options)
    limit: int = DEFAULT_LIMIT
    worker: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="mllp-import"))

    async def start(self, host: str, port: int) -> asyncio.Server:
        """Start listening; return the server (``port`` 0 picks a free port)."""
        return await hl7.mllp.start_hl7_server(self.serve_client, host, port, limit=self.limit)

    async def serve_client(self, reader: hl7.mllp.HL7StreamReader,
                           writer: hl7.mllp.HL7StreamWriter) -> None:
        """Answer each frame a connection sends until it closes."""
        loop = asyncio.get_running_loop()
        try:
            while True:
                try:
                    block = await reader.readblock()
                except hl7.mllp.InvalidBlockError:
                    writer.writeblock(refusal_ack("AR", "the MLLP block does not begin "
                                                        "with <VT> (0x0b)"))
                    await writer.drain()
                    continue
                except ValueError:
                    writer.writeblock(refusal_ack("AR", f"the message is larger than "
                                                        f"{self.limit} bytes"))
                    await writer.drain()
                    return
                except asyncio.IncompleteReadError as error:
                    if error.partial.strip():
                        log.warning("MLLP connection closed mid-message; nothing was stored")
                    return
                answer = await loop.run_in_executor(self.worker, self.handle, block)
                writer.writeblock(answer)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    def handle(self, block: bytes) -> bytes:
        """Import one framed message (in the worker thread); return its ACK."""
        with self.app.app_context():
            try:
                provider = organisation(self.provider_code, "provider", "provider")
                result = import_hl7(FRAME_START + block + FRAME_END, source="hl7_mllp",
                                    options=self.options, provider=provider)
                outcome = result.outcomes[0] if result.outcomes else Outcome(
                    0, "", None, "AR", [Refusal("", 100, "the frame holds no HL7 message")])
                log.info("MLLP message %s, batch %s", outcome.code, result.batch.id)
                return ack(outcome, note=f"batch {result.batch.id}").encode("utf-8")
            except Exception as error:  # answered AE (send again), never a dropped link
                log.error("MLLP message not stored: %s", type(error).__name__)
                return refusal_ack("AE", "the message could not be stored just now; send "
                                         "it again")
            finally:
                db.session.remove()


@dataclass
class Running:
    """A listener serving in a background thread (for embedding and tests)."""

    port: int
    listener: Listener
    loop: asyncio.AbstractEventLoop
    server: asyncio.Server
    thread: threading.Thread

    def stop(self) -> None:
        """Close the server and its connections, then the loop."""

        async def shutdown() -> None:
            self.server.close()
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()
        self.listener.worker.shutdown(wait=True)


def listen_in_thread(listener: Listener, host: str = "127.0.0.1", port: int = 0) -> Running:
    """Start ``listener`` on its own event loop in a daemon thread; return it running."""
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(listener.start(host, port))
    thread = threading.Thread(target=loop.run_forever, name="mllp-listener", daemon=True)
    thread.start()
    return Running(server.sockets[0].getsockname()[1], listener, loop, server, thread)


def serve(listener: Listener, host: str, port: int,
          started: Callable[[int], None] | None = None) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM); ``started`` is told the port."""

    async def main() -> None:
        server = await listener.start(host, port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for name in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(name, stop.set)
        if started:
            started(server.sockets[0].getsockname()[1])
        async with server:
            await stop.wait()

    asyncio.run(main())
