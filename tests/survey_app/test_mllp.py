"""The MLLP listener for real: it listens on a loopback port, framed messages go to it over
a socket, and each comes back as its ACK in a frame — on SQLite and PostgreSQL; and
``flask intake mllp`` itself, started as a process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from hl7_data import a03, acks
from intake_data import intake_world
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.integrations.mllp import Listener, listen_in_thread
from survey_app.models import IntakeBatch, TransitionEvent

ROOT = Path(__file__).resolve().parents[2]


def framed(message: str) -> bytes:
    return b"\x0b" + message.encode() + b"\x1c\r"


def read_frames(sock: socket.socket, count: int) -> list[bytes]:
    """Read ``count`` MLLP frames (10 seconds at most); return their contents."""
    sock.settimeout(10)
    buffer, frames = b"", []
    while len(frames) < count:
        chunk = sock.recv(65536)
        assert chunk, f"the listener closed the connection after {len(frames)} frames"
        buffer += chunk
        while b"\x1c\r" in buffer:
            frame, _, buffer = buffer.partition(b"\x1c\r")
            assert frame[:1] == b"\x0b"
            frames.append(frame[1:])
    return frames


def codes(frames: list[bytes]) -> list[tuple[object, object]]:
    return [(answer["code"], answer["id"]) for frame in frames for answer in acks(frame)]


@pytest.fixture
def listening(any_app: Flask) -> Iterator[tuple[Flask, int]]:
    """The listener for RX1 on a free loopback port, in a background thread."""
    with any_app.app_context():
        intake_world()
    running = listen_in_thread(Listener(any_app, "RX1"))
    yield any_app, running.port
    running.stop()


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def test_each_framed_message_is_answered_with_its_ack(listening: tuple[Flask, int]) -> None:
    app, port = listening
    with connect(port) as sock:
        sock.sendall(framed(a03(1)) + framed(a03(2, pv1={10: "knees"}))
                     + framed(a03(3, msh={9: "ORU^R01"})))
        frames = read_frames(sock, 3)
    assert codes(frames) == [("AA", "MSG00001"), ("AE", "MSG00002"), ("AR", "MSG00003")]
    assert acks(frames[1])[0]["errors"] == [("PV1^1^10", "103", "PV1-10: pathway_code: "
                                                                "unknown pathway code")]
    assert "only discharges (ADT^A03)" in str(acks(frames[2])[0]["text"])
    with app.app_context():
        assert db.session.scalars(select(TransitionEvent.source_reference)).all() == ["V000001"]
        batches = db.session.execute(select(IntakeBatch.source, IntakeBatch.status)
                                     .order_by(IntakeBatch.id)).all()
        assert batches == [("hl7_mllp", "complete"), ("hl7_mllp", "complete"),
                           ("hl7_mllp", "refused")]


def test_a_message_arriving_in_pieces_is_one_message(listening: tuple[Flask, int]) -> None:
    _app, port = listening
    data = framed(a03(1))
    with connect(port) as sock:
        for start in range(0, len(data), 37):
            sock.sendall(data[start:start + 37])
            time.sleep(0.005)
        assert codes(read_frames(sock, 1)) == [("AA", "MSG00001")]


def test_a_resent_message_is_acknowledged_again_and_stored_once(
    listening: tuple[Flask, int]
) -> None:
    app, port = listening
    for _ in range(2):  # a sending engine that missed the first ACK sends again
        with connect(port) as sock:
            sock.sendall(framed(a03(1)))
            assert codes(read_frames(sock, 1)) == [("AA", "MSG00001")]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TransitionEvent)) == 1


def test_a_block_without_its_start_is_rejected_and_the_connection_goes_on(
    listening: tuple[Flask, int]
) -> None:
    _app, port = listening
    with connect(port) as sock:
        sock.sendall(a03(1).encode() + b"\x1c\r" + framed(a03(2)))
        frames = read_frames(sock, 2)
    assert codes(frames) == [("AR", ""), ("AA", "MSG00002")]
    assert "does not begin with <VT>" in str(acks(frames[0])[0]["text"])


def test_a_connection_closed_mid_message_stores_nothing(listening: tuple[Flask, int]) -> None:
    app, port = listening
    with connect(port) as sock:
        sock.sendall(framed(a03(1))[:150])
    with connect(port) as sock:  # the listener is still there for the next connection
        sock.sendall(framed(a03(2)))
        assert codes(read_frames(sock, 1)) == [("AA", "MSG00002")]
    with app.app_context():
        assert db.session.scalars(select(TransitionEvent.source_reference)).all() == ["V000002"]


def test_two_frames_in_one_message_slot_are_refused(listening: tuple[Flask, int]) -> None:
    _app, port = listening
    with connect(port) as sock:
        sock.sendall(b"\x0b" + (a03(1) + a03(2)).encode() + b"\x1c\r")
        frames = read_frames(sock, 1)
    assert codes(frames)[0][0] == "AR"
    assert "an MLLP frame must hold exactly one message" in str(acks(frames[0])[0]["text"])


def test_the_command_needs_the_provider_it_listens_for(app: Flask) -> None:
    runner = app.test_cli_runner()
    missing = runner.invoke(args=["intake", "mllp"], env={"MLLP_PROVIDER": ""})
    assert missing.exit_code == 2 and "--credential-provider" in missing.output
    unknown = runner.invoke(args=["intake", "mllp", "--credential-provider", "NOPE"])
    assert unknown.exit_code == 2 and "There is no provider with code NOPE" in unknown.output


def test_flask_intake_mllp_serves_until_stopped(app: Flask) -> None:
    with app.app_context():
        intake_world()
        database = app.config["SQLALCHEMY_DATABASE_URI"]
    env = {**os.environ, "APP_ENV": "test", "DATABASE_URL": database, "MLLP_PROVIDER": "RX1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "intake", "mllp", "--port", "0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("Listening for MLLP on 127.0.0.1:"), line
        port = int(line.split(":")[1].split()[0])
        with connect(port) as sock:
            sock.sendall(framed(a03(1)))
            assert codes(read_frames(sock, 1)) == [("AA", "MSG00001")]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TransitionEvent)) == 1
