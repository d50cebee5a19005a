"""HL7 v2 messages from bytes: split, decoded, checked and parsed with the ``hl7`` package.

    for chunk in split_messages(data):         # MLLP frames, or lines (\\r, \\n or \\r\\n)
        message = read_message(chunk)          # an Hl7Message, or raises Unreadable

A message starts at an ``MSH`` line and ends at the next ``MSH``, a blank line or the end;
in an MLLP-framed input each frame holds one message. Each message is decoded by its own
MSH-18 (UTF-8 when empty) and must be ``ADT^A03`` with ``MSH-10``, one ``PID`` and one
``PV1``; anything else raises :class:`Unreadable` saying which segment or field and why,
without repeating the values. Only the segments we read are parsed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import hl7

FRAME_START, FRAME_END = b"\x0b", b"\x1c"
LINE_BREAK = re.compile(rb"\r\n|\r|\n")
SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}")
ENVELOPE = (b"FHS", b"BHS", b"BTS", b"FTS")  # batch and file wrappers: skipped
READ_SEGMENTS = ("MSH", "PID", "PV1")
# MSH-18 character sets (HL7 table 0211) we decode; an empty MSH-18 means UTF-8 (ASCII's
# superset, and the preferred set since v2.8).
CHARSETS = {"": "utf-8", "ASCII": "ascii", "8859/1": "latin-1", "8859/15": "iso8859-15",
            "UNICODE UTF-8": "utf-8", "UTF-8": "utf-8"}
TIMESTAMP = re.compile(r"(\d{4})(\d\d)(\d\d)(?:(\d\d)(\d\d)?(?:(\d\d)(?:\.\d{1,4})?)?)?"
                       r"(?:([+-])(\d\d)(\d\d))?")
# HL7 table 0357 (message error condition codes) used in ACKs.
SEGMENT_SEQUENCE, REQUIRED_MISSING, DATA_TYPE, TABLE_VALUE = 100, 101, 102, 103
UNSUPPORTED_TYPE, UNSUPPORTED_EVENT, INTERNAL = 200, 201, 207


@dataclass
class Chunk:
    """One message's segments as they arrived (bytes), and where."""

    number: int
    line: int
    segments: list[bytes] = field(default_factory=list)
    framing: str | None = None  # what was wrong with the framing, if anything


@dataclass(frozen=True)
class Refusal:
    """Why a message cannot be read: where (``MSH-9``, ``PV1``, ``MLLP``), code, words."""

    where: str
    code: int
    text: str


class Unreadable(ValueError):
    """A message that cannot be read as an ADT^A03; nothing of it is imported."""

    def __init__(self, where: str, code: int, text: str) -> None:
        super().__init__(f"{where}: {text}")
        self.refusal = Refusal(where, code, text)


@dataclass
class Hl7Message:
    """A readable ADT^A03: the parsed segments we read and the MSH fields for the ACK."""

    number: int
    line: int
    control_id: str
    msh: list[str]  # MSH-n at index n (decoded, still escaped)
    parsed: hl7.Message
    _segments: dict[str, hl7.Segment] = field(default_factory=dict, repr=False)

    @property
    def location(self) -> str:
        """Where the message is, for reports and issue rows: number and control id."""
        return f"message {self.number} ({self.control_id[:40]})"

    def segment(self, name: str) -> hl7.Segment:
        if name not in self._segments:
            self._segments[name] = self.parsed.segment(name)
        return self._segments[name]


def split_messages(data: bytes) -> Iterator[Chunk]:
    """Yield the messages of ``data``: MLLP-framed if it starts with a frame, else lines."""
    if data.lstrip(b" \t\r\n")[:1] == FRAME_START:
        yield from split_frames(data)
    else:
        yield from split_lines(LINE_BREAK.split(data), 1, 1)


def split_lines(lines: list[bytes], number: int, first_line: int) -> Iterator[Chunk]:
    """Group lines into messages (an MSH starts one; a blank line or envelope ends it)."""
    current: Chunk | None = None
    stray = False
    for index, line in enumerate(lines, first_line):
        text = line.strip(b" \t")
        if current is not None and (not text or text[:3] in ENVELOPE or text[:3] == b"MSH"):
            yield current
            current = None
        if not text or text[:3] in ENVELOPE:
            stray = False
        elif text[:3] == b"MSH":
            stray = False
            current = Chunk(number, index, [text])
            number += 1
        elif current is not None:
            current.segments.append(text)
        elif not stray:  # one report for a run of segments outside any message
            stray = True
            yield Chunk(number, index, framing="segments outside any message: a message "
                                               "must begin with an MSH segment")
            number += 1
    if current is not None:
        yield current


def split_frames(data: bytes) -> Iterator[Chunk]:
    """Yield one chunk per MLLP frame (``<VT> message <FS><CR>``)."""
    number, line, position = 1, 1, 0
    while True:
        start = data.find(FRAME_START, position)
        between = data[position:start if start >= 0 else len(data)]
        if between.strip(b" \t\r\n"):
            yield Chunk(number, line, framing="bytes outside an MLLP frame")
            number += 1
        if start < 0:
            return
        line += len(LINE_BREAK.findall(between))
        end = data.find(FRAME_END, start)
        if end < 0:
            yield Chunk(number, line, framing="the MLLP frame is not closed (the input "
                                              "is truncated)")
            return
        frame = data[start + 1:end]
        chunks = list(split_lines(LINE_BREAK.split(frame), number, line))
        if len(chunks) != 1:
            chunks = [Chunk(number, line, framing="an MLLP frame must hold exactly one "
                                                  "message")]
        yield chunks[0]
        number += 1
        line += len(LINE_BREAK.findall(frame))
        position = end + 1  # the <CR> after <FS> is whitespace between frames


def msh_fields(segment: bytes) -> list[bytes]:
    """Return the MSH fields as bytes, MSH-n at index n (index 0 is "MSH")."""
    if len(segment) < 8:
        raise Unreadable("MSH", REQUIRED_MISSING, "the MSH segment is truncated")
    separator = segment[3:4]
    encoding = segment[4:8]
    specials = separator + encoding
    if len(set(specials)) != 5 or any(chr(b).isalnum() or not 32 < b < 127 for b in specials):
        raise Unreadable("MSH-2", DATA_TYPE, "MSH-1 and MSH-2 must be five different "
                                             "separator characters, e.g. |^~\\&")
    return [b"MSH", separator, *segment[4:].split(separator)]


def decode(chunk: Chunk, default_charset: str = "utf-8") -> list[str]:
    """Return every segment of the message decoded by its MSH-18."""
    msh = msh_fields(chunk.segments[0])
    named = msh[18].split(msh[2][:1])[0].split(msh[2][1:2])[0] if len(msh) > 18 else b""
    charset = named.decode("ascii", "replace").strip().upper()
    encoding = CHARSETS.get(charset) if charset else default_charset
    if encoding is None:
        raise Unreadable("MSH-18", TABLE_VALUE, "MSH-18 names a character set we do not "
                                                "read (use UNICODE UTF-8, 8859/1 or ASCII)")
    texts = []
    for segment in chunk.segments:
        try:
            texts.append(segment.decode(encoding))
        except UnicodeDecodeError as error:
            name = segment[:3].decode("ascii", "replace")
            raise Unreadable(name if SEGMENT_ID.fullmatch(name) else "MSH-18", DATA_TYPE,
                             f"the {name} segment is not {encoding.upper()} (byte "
                             f"0x{segment[error.start]:02x}); say its character set in "
                             f"MSH-18, e.g. 8859/1") from None
    return texts


def read_message(chunk: Chunk, default_charset: str = "utf-8") -> Hl7Message:
    """Check and parse one message; raise :class:`Unreadable` saying why it cannot be read."""
    if chunk.framing:
        raise Unreadable("MLLP" if "MLLP" in chunk.framing else "MSH", SEGMENT_SEQUENCE,
                         chunk.framing)
    texts = decode(chunk, default_charset)
    msh = ["MSH", texts[0][3], *texts[0][4:].split(texts[0][3])]
    component = msh[2][0]
    message_type = (msh[9] if len(msh) > 9 else "").split(msh[2][1])[0].split(component)
    if message_type[0] != "ADT":
        raise Unreadable("MSH-9", UNSUPPORTED_TYPE, "the message is not ADT^A03: only "
                                                    "discharges (ADT^A03) are accepted")
    if (message_type[1:2] or [""])[0] != "A03":
        raise Unreadable("MSH-9", UNSUPPORTED_EVENT, "the event is not A03: only discharges "
                                                     "(ADT^A03) are accepted")
    control_id = msh[10] if len(msh) > 10 else ""
    if not control_id.strip():
        raise Unreadable("MSH-10", REQUIRED_MISSING, "MSH-10 (message control id) is missing")
    if not control_id.isprintable() or len(control_id) > 199:
        raise Unreadable("MSH-10", DATA_TYPE, "MSH-10 (message control id) must be printable "
                                              "text of at most 199 characters")
    wanted: dict[str, list[str]] = {name: [] for name in READ_SEGMENTS}
    for place, text in enumerate(texts, 1):
        name = text[:3]
        if not SEGMENT_ID.fullmatch(name) or text[3:4] not in ("", msh[1]):
            raise Unreadable(f"segment {place}", SEGMENT_SEQUENCE,
                             f"segment {place} does not begin with a segment id (three "
                             f"capital letters or digits, then {msh[1]})")
        if name in wanted:
            wanted[name].append(text)
    for name in ("PID", "PV1"):
        if not wanted[name]:
            raise Unreadable(name, SEGMENT_SEQUENCE, f"there is no {name} segment (the "
                                                     f"message may be truncated)")
        if len(wanted[name]) > 1:
            raise Unreadable(name, SEGMENT_SEQUENCE, f"there is more than one {name} segment")
    if texts.index(wanted["PID"][0]) > texts.index(wanted["PV1"][0]):
        raise Unreadable("PV1", SEGMENT_SEQUENCE, "the PV1 segment comes before PID")
    try:
        parsed = hl7.parse("\r".join(wanted[name][0] for name in READ_SEGMENTS))
    except (hl7.HL7Exception, ValueError, IndexError, KeyError, AssertionError):
        raise Unreadable("MSH", INTERNAL, "the message cannot be parsed as HL7 v2") from None
    return Hl7Message(chunk.number, chunk.line, unescape(control_id, msh[1], msh[2]).strip(),
                      msh, parsed)


def part(field: object, *path: int) -> str:
    """Return the raw value at ``path`` (repetition, component, subcomponent; from 1) of
    a parsed field, "" when absent. The ``hl7`` tree is only as deep as its separators."""
    node = field
    for index in path:
        if isinstance(node, str):
            if index != 1:
                return ""
            continue
        if not isinstance(node, list) or index > len(node):
            return ""
        node = node[index - 1]
    while isinstance(node, list):
        node = node[0] if node else ""
    return node if isinstance(node, str) else ""


def repetitions(field: object) -> int:
    """Return how many repetitions a parsed field has."""
    return len(field) if isinstance(field, list) and field and not isinstance(
        field[0], str) else 1


def unescape(text: str, separator: str, encoding: str) -> str:
    """Undo HL7 escapes (\\F\\ \\S\\ \\T\\ \\R\\ \\E\\ \\Xhh\\); drop formatting ones."""
    escape = encoding[2]
    if escape not in text:
        return text
    plain = {"F": separator, "S": encoding[0], "R": encoding[1], "E": escape,
             "T": encoding[3]}
    pieces = text.split(escape)
    out = [pieces[0]]
    for index in range(1, len(pieces), 2):
        code = pieces[index]
        if index + 1 >= len(pieces):  # an escape never closed: keep it as text
            out.append(escape + code)
            break
        if code in plain:
            out.append(plain[code])
        elif code[:1] == "X" and re.fullmatch(r"(?:[0-9A-Fa-f]{2})+", code[1:]):
            out.append(bytes.fromhex(code[1:]).decode("latin-1"))
        out.append(pieces[index + 1])
    return "".join(out)


def hl7_moment(text: str) -> str:
    """Return an HL7 TS/DTM (``YYYYMMDD[HH[MM[SS[.S]]]][+/-ZZZZ]``) as ISO 8601 (no
    offset stays without one: UK local time), or the text itself when it is not one."""
    match = TIMESTAMP.fullmatch(text.strip())
    if not match:
        return text
    year, month, day, hour, minute, second, sign, zone_h, zone_m = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                          int(second or 0))
    except ValueError:
        return text
    offset = f"{sign}{zone_h}:{zone_m}" if sign else ""
    return moment.isoformat() + offset


def hl7_date(text: str) -> str:
    """Return the date of an HL7 TS/DTM as YYYY-MM-DD, or the text when it has none."""
    match = TIMESTAMP.fullmatch(text.strip())
    return hl7_moment(text)[:10] if match else text
