#!/usr/bin/env python3
"""A second, independent implementation of the RapidMessageTools wire protocol, for the tests.

Written from the protocol's description (README / about_RapidMessageTools), not from the mock's
code, in another language and on another WebSocket stack (python3-websockets), so that the
scenarios are shown to work on the contract rather than on one server's quirks. Its faults are
shaped differently from the mock's on purpose (see FAULTS below).

Usage:
  python3 independent_server.py [--queue-capacity N] [--response-delay S] [--require-auth]
      [--expired-tokens] [--seed N] [--fault NAME[=VALUE]]... [--stream-chunks N]
      [--chunk-interval S] [--max-lifetime S] [--dialect acme]

It binds 127.0.0.1 on a free port and prints one JSON line on stdout:
  {"port": 12345, "url": "ws://127.0.0.1:12345/ws", "base_url": "http://127.0.0.1:12345"}
It stops on SIGTERM, when its standard input closes (with --exit-on-stdin-eof), or after --max-lifetime seconds.

--dialect acme speaks another backend's wire shape instead of the canonical one (see ACME below):
"op" instead of "type", fields nested under "payload", "rid" for request ids, errors under "error"
with that backend's own codes, and events no profile maps (sys.welcome on connect, sys.typing before
each reply). The backend logic and every fault are the same; only the frames at the edge differ.
"""

import argparse
import asyncio
import base64
import collections
import hashlib
import hmac
import http
import json
import os
import random
import secrets
import signal
import sys
import time
import urllib.parse

try:  # websockets 10+: the legacy (asyncio) server has the hooks used here.
    from websockets.legacy.server import WebSocketServerProtocol, serve
    from websockets.legacy.http import read_headers, read_line
except ImportError:  # pragma: no cover - older layouts
    from websockets.server import WebSocketServerProtocol, serve  # type: ignore
    from websockets.http import read_headers, read_line  # type: ignore
from websockets.exceptions import ConnectionClosed

# Each fault: its name, what it does, and the value it takes (a rate in [0, 1], or a count).
FAULTS = {
    "count-off-by-one": ("rate", "agent_state and state_update report message_count one too high; corrupted stays false"),
    "leak-counts": ("rate", "message_count counts every message the server processed, any user's and any agent's"),
    "drop-messages": ("rate", "drops a message at random when it arrives at a queue with room: never processed, never answered"),
    "drop-nth": ("count", "drops the Nth user_message the server receives (one lost reply): never processed, never answered"),
    "tcp-drop-after": ("count", "drops the TCP connection (no close frame) when a connection's Nth user_message arrives"),
    "reprocess-repeats": ("rate", "a message_id repeated after its reply is processed again and answered as new (repeats in flight are still coalesced)"),
    "reorder-replies": ("rate", "holds a reply back until two later replies of the same agent have gone out"),
    "no-state-update": ("rate", "sends no state_update to the user's other connections"),
    "chunk-drop": ("rate", "leaves one chunk of a stream out (the indexes skip it)"),
    "chunk-reorder": ("rate", "sends the first two chunks of a stream in swapped order"),
    "chunk-duplicate": ("rate", "sends one chunk of a stream twice"),
    "stream-cut": ("rate", "stops a stream after its chunks: no final ai_response"),
    "final-mismatch": ("rate", "the final ai_response's content is not its chunks joined"),
    "stall": ("rate", "pauses a stream for --stall-seconds between two chunks"),
    "chunks-after-final": ("rate", "sends one more chunk after the final ai_response"),
    "cancel-ignored": ("rate", "ignores cancel: the stream runs to its end and its final is not marked cancelled"),
}

RESPONSE_PREFIX = "AI response to: "
IDEMPOTENCY_WINDOW = 10_000
DEFAULT_AGENT = "default"


class Acme:
    """The 'acme' dialect: a hand-written translation at the connection's edge, canonical <-> acme.

    Written from the acme backend's description, not read from any profile file, so that this server
    stays an independent implementation of that wire shape.
    """

    # acme op -> (canonical type, {canonical field: (where, acme field)}) for frames a client sends.
    # where: "payload" (inside "payload") or "top" (beside "op").
    IN = {
        "chat.send": ("user_message", {"message_id": ("payload", "id"), "sequence_id": ("payload", "seq"),
                                       "content": ("payload", "text"), "agent_id": ("payload", "agent")}),
        "chat.cancel": ("cancel", {"message_id": ("payload", "id")}),
        "agent.get": ("get_agent_state", {"request_id": ("top", "rid"), "agent_id": ("payload", "agent")}),
        "queue.get": ("get_queue_state", {"request_id": ("top", "rid"), "agent_id": ("payload", "agent")}),
        "sys.ping": ("ping", {"request_id": ("top", "rid")}),
    }

    # canonical error code -> acme's own.
    CODES = {"invalid_json": "bad_json", "invalid_message": "bad_request", "unknown_type": "unsupported_op",
             "queue_full": "overloaded", "unknown_message": "no_such_message"}

    @staticmethod
    def inbound(frame):
        """Returns (canonical frame, None), or (None, canonical error frame) when the frame is not acme."""
        if not isinstance(frame, dict):
            return None, Backend.error("invalid_message", "The frame must be a JSON object with an \"op\" field.")
        rid = frame.get("rid")
        if rid is not None and not isinstance(rid, str):
            return None, Backend.error("invalid_message", "Field \"rid\" must be a string.")
        op = frame.get("op")
        if not isinstance(op, str):
            return None, Backend.error("invalid_message", "The frame has no \"op\" field.", request_id=rid)
        payload = frame.get("payload", {})
        if not isinstance(payload, dict):
            return None, Backend.error("invalid_message", "Field \"payload\" must be an object.", request_id=rid)
        if op not in Acme.IN:
            return None, Backend.error("unknown_type", "Unsupported op \"%s\"." % op, request_id=rid)
        kind, fields = Acme.IN[op]
        canonical = {"type": kind}
        for name, (where, acme_name) in fields.items():
            source = payload if where == "payload" else frame
            if acme_name in source:
                canonical[name] = source[acme_name]
        return canonical, None

    @staticmethod
    def outbound(frame):
        """The acme frame for a canonical frame the backend sends."""
        kind = frame.get("type")
        put = lambda target, key, name: target.__setitem__(key, frame[name]) if name in frame else None  # noqa: E731
        out, payload = {}, {}
        if kind in ("ai_response", "ai_response_chunk"):
            out["op"] = "chat.reply" if kind == "ai_response" else "chat.part"
            for key, name in (("reply_to", "message_id"), ("seq", "sequence_id"), ("agent", "agent_id"), ("text", "content"),
                              ("index", "chunk_index"), ("ts", "timestamp"), ("replayed", "duplicate"),
                              ("parts", "chunk_count"), ("stopped", "cancelled")):
                put(payload, key, name)
        elif kind == "agent_state":
            out["op"] = "agent.state"
            for key, name in (("user", "user_id"), ("agent", "agent_id"), ("corrupt", "corrupted"), ("ts", "timestamp"),
                              ("context", "conversation_context")):
                put(payload, key, name)
            stats = {}
            for key, name in (("count", "message_count"), ("last_seq", "last_sequence_id"), ("last_id", "last_message_id")):
                put(stats, key, name)
            payload["stats"] = stats
            payload["memory"] = {"rss": (frame.get("memory_usage") or {}).get("rss", 0)}
        elif kind == "queue_state":
            out["op"] = "queue.state"
            for key, name in (("depth", "queue_size"), ("capacity", "max_capacity"), ("processed", "processed_total"),
                              ("rejected", "rejected_total"), ("agent", "agent_id"), ("ts", "timestamp")):
                put(payload, key, name)
        elif kind == "state_update":
            out["op"] = "agent.changed"
            for key, name in (("user", "user_id"), ("agent", "agent_id"), ("count", "message_count"), ("last_id", "last_message_id")):
                put(payload, key, name)
        elif kind == "error":
            out["op"] = "fault"
            error = {"code": Acme.CODES.get(frame.get("code"), frame.get("code"))}
            for key, name in (("text", "message"), ("ref", "message_id"), ("depth", "queue_size"),
                              ("capacity", "max_capacity"), ("retry_ms", "retry_after_ms")):
                put(error, key, name)
            out["error"] = error
            payload = None
        elif kind == "pong":
            out["op"] = "sys.pong"
            put(payload, "ts", "timestamp")
        else:  # pragma: no cover - every canonical frame is mapped above
            return frame
        if "request_id" in frame:
            out["rid"] = frame["request_id"]
        if payload is not None:
            out["payload"] = payload
        return out


def now_s():
    return time.time()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Tokens:
    """HS256 JSON Web Tokens signed with a key of this process."""

    def __init__(self, expired):
        self.secret = secrets.token_bytes(32)
        self.expired = expired

    def issue(self, user_id, email):
        exp = int(now_s()) + (-60 if self.expired else 3600)
        header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = b64url(json.dumps({"sub": user_id, "email": email, "iat": int(now_s()), "exp": exp}).encode())
        signing = header + "." + payload
        sig = b64url(hmac.new(self.secret, signing.encode(), hashlib.sha256).digest())
        return signing + "." + sig, exp

    def read(self, token, verify):
        """Returns (subject, None) or (None, reason)."""
        parts = token.split(".")
        if len(parts) != 3:
            return None, "the token is not a JWT"
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
        except (ValueError, UnicodeDecodeError):
            return None, "the token is not a JWT"
        if not isinstance(header, dict) or header.get("alg") != "HS256" or not isinstance(claims, dict):
            return None, "the token must be an HS256 JWT"
        if verify:
            expected = b64url(hmac.new(self.secret, (parts[0] + "." + parts[1]).encode(), hashlib.sha256).digest())
            if not hmac.compare_digest(expected, parts[2]):
                return None, "the token's signature does not match this server's key"
            exp = claims.get("exp")
            if not isinstance(exp, (int, float)) or exp <= now_s():
                return None, "the token has expired"
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            return None, "the token has no subject"
        return sub, None


class Entry:
    """What the idempotency window remembers of a message_id: its final reply once there is one."""

    __slots__ = ("message_id", "final", "waiters")

    def __init__(self, message_id):
        self.message_id = message_id
        self.final = None
        self.waiters = []


class Work:
    __slots__ = ("conn", "message_id", "sequence_id", "content", "entry", "cancelled")

    def __init__(self, conn, message_id, sequence_id, content, entry):
        self.conn = conn
        self.message_id = message_id
        self.sequence_id = sequence_id
        self.content = content
        self.entry = entry
        self.cancelled = False


class Agent:
    def __init__(self, agent_id):
        self.agent_id = agent_id
        self.queue = collections.deque()
        self.count = 0
        self.last_sequence_id = 0
        self.last_message_id = None
        self.last_content = None
        self.worker = None
        self.current = None  # the Work being streamed
        self.held = []  # reorder fault: (conn, frame, replies still to pass it)


class User:
    def __init__(self, user_id):
        self.user_id = user_id
        self.agents = {}
        self.seen = collections.OrderedDict()
        self.connections = set()
        self.processed_total = 0
        self.rejected_total = 0

    def agent(self, agent_id):
        a = self.agents.get(agent_id)
        if a is None:
            a = self.agents[agent_id] = Agent(agent_id)
        return a


class Connection:
    """One client: an ordered outgoing queue written by one task, so frames never interleave."""

    def __init__(self, ws, user, dialect=None):
        self.ws = ws
        self.user = user
        self.dialect = dialect
        self.out = asyncio.Queue()
        self.user_messages = 0
        self.closed = False
        self.writer = asyncio.ensure_future(self._write())

    def send(self, frame):
        if self.dialect == "acme":
            frame = Acme.outbound(frame)
        self.send_raw(frame)

    def send_raw(self, frame):
        """Sends a frame as it is, in no dialect's translation (the dialects' own events)."""
        if not self.closed:
            self.out.put_nowait(json.dumps(frame, separators=(",", ":")))

    def drop_tcp(self):
        """Ends the connection without a close frame, as a crashed proxy or server would."""
        self.closed = True
        transport = getattr(self.ws, "transport", None)
        if transport is not None:
            transport.abort()

    async def _write(self):
        try:
            while True:
                text = await self.out.get()
                await self.ws.send(text)
        except (ConnectionClosed, asyncio.CancelledError):
            pass
        except Exception:  # pragma: no cover - a broken socket ends the writer
            pass


class Backend:
    def __init__(self, args):
        self.args = args
        self.capacity = args.queue_capacity
        self.delay = args.response_delay
        self.rng = random.Random(args.seed)
        self.users = {}
        self.faults = args.faults
        self.total_processed = 0
        self.user_messages = 0
        self.connections = 0
        self.started = time.monotonic()

    # -- faults ---------------------------------------------------------------------------------

    def fault(self, name):
        """True when fault NAME fires for this event (its rate drawn from the seeded generator)."""
        value = self.faults.get(name)
        if value is None or FAULTS[name][0] != "rate":
            return False
        return value >= 1 or (value > 0 and self.rng.random() < value)

    def user(self, user_id):
        u = self.users.get(user_id)
        if u is None:
            u = self.users[user_id] = User(user_id)
        return u

    # -- frames in -----------------------------------------------------------------------------

    def handle_text(self, conn, text):
        try:
            frame = json.loads(text)
        except ValueError:
            return conn.send(self.error("invalid_json", "The frame is not valid JSON: send one JSON object per text frame."))
        if conn.dialect == "acme":
            frame, problem = Acme.inbound(frame)
            if problem is not None:
                return conn.send(problem)
        if not isinstance(frame, dict):
            return conn.send(self.error("invalid_message", "The frame must be a JSON object with a \"type\" field."))
        request_id = frame.get("request_id") if isinstance(frame.get("request_id"), str) else None
        kind = frame.get("type")
        if not isinstance(kind, str):
            return conn.send(self.error("invalid_message", "The frame has no \"type\" field.", request_id=request_id))
        for field in ("message_id", "content", "agent_id", "request_id"):
            if field in frame and frame[field] is not None and not isinstance(frame[field], str):
                return conn.send(self.error("invalid_message", "Field \"%s\" must be a string." % field, request_id=request_id))
        if "sequence_id" in frame and (isinstance(frame["sequence_id"], bool) or not isinstance(frame["sequence_id"], int)):
            return conn.send(self.error("invalid_message", "Field \"sequence_id\" must be an integer.", frame.get("message_id"), request_id))
        agent_id = frame.get("agent_id") or DEFAULT_AGENT
        if kind == "user_message":
            self.user_message(conn, frame, agent_id)
        elif kind == "get_agent_state":
            conn.send(self.agent_state(conn.user, frame.get("agent_id") or DEFAULT_AGENT, request_id))
        elif kind == "get_queue_state":
            conn.send(self.queue_state(conn.user, frame.get("agent_id"), request_id))
        elif kind == "ping":
            pong = {"type": "pong", "timestamp": now_s()}
            if request_id is not None:
                pong["request_id"] = request_id
            conn.send(pong)
        elif kind == "cancel":
            self.cancel(conn, frame.get("message_id"))
        else:
            conn.send(self.error("unknown_type", "Unknown message type \"%s\"." % kind, frame.get("message_id"), request_id))

    def user_message(self, conn, frame, agent_id):
        mid, seq, content = frame.get("message_id"), frame.get("sequence_id"), frame.get("content")
        if not mid or seq is None or content is None:
            missing = "message_id" if not mid else "sequence_id" if seq is None else "content"
            return conn.send(self.error("invalid_message", "user_message needs \"%s\"." % missing, mid))
        conn.user_messages += 1
        self.user_messages += 1
        if self.faults.get("drop-nth") == self.user_messages:
            return  # the one lost message
        limit = self.faults.get("tcp-drop-after")
        if limit and conn.user_messages >= limit:
            conn.drop_tcp()
            return
        user = conn.user
        entry = user.seen.get(mid)
        if entry is not None:
            if entry.final is None:
                entry.waiters.append(conn)  # in flight: the replay follows the original
                return
            if not self.fault("reprocess-repeats"):
                replay = dict(entry.final)
                replay["duplicate"] = True
                conn.send(replay)
                return
        agent = user.agent(agent_id)
        if len(agent.queue) >= self.capacity:
            user.rejected_total += 1
            return conn.send({
                "type": "error", "code": "queue_full", "message": "The agent's queue is full; retry after retry_after_ms.",
                "message_id": mid, "queue_size": len(agent.queue), "max_capacity": self.capacity,
                "retry_after_ms": max(10, int(self.delay * 1000 * max(1, len(agent.queue) // 10))),
            })
        if self.fault("drop-messages"):
            return  # lost on the way in: neither processed nor answered
        entry = Entry(mid)
        user.seen[mid] = entry
        user.seen.move_to_end(mid)
        while len(user.seen) > IDEMPOTENCY_WINDOW:
            user.seen.popitem(last=False)
        agent.queue.append(Work(conn, mid, seq, content, entry))
        if agent.worker is None:
            agent.worker = asyncio.ensure_future(self.run_agent(user, agent))

    def cancel(self, conn, mid):
        user = conn.user
        if not mid:
            return conn.send(self.error("invalid_message", "cancel needs \"message_id\"."))
        if self.fault("cancel-ignored"):
            return
        for agent in user.agents.values():
            if agent.current is not None and agent.current.message_id == mid and not agent.current.cancelled:
                agent.current.cancelled = True  # the stream stops at its next chunk
                return
            for work in agent.queue:
                if work.message_id == mid:
                    agent.queue.remove(work)
                    final = self.final(work, agent.agent_id, [], cancelled=True)
                    self.finish(user, work, final)
                    return
        conn.send(self.error("unknown_message", "No message \"%s\" is queued or streaming." % mid, mid))

    # -- the worker ----------------------------------------------------------------------------

    async def run_agent(self, user, agent):
        try:
            while agent.queue:
                if self.delay > 0:
                    await asyncio.sleep(self.delay * (1 + 0.2 * self.rng.random()))
                if not agent.queue:
                    break
                work = agent.queue.popleft()
                await self.process(user, agent, work)
        finally:
            agent.worker = None
            agent.current = None

    async def process(self, user, agent, work):
        agent.count += 1
        agent.last_sequence_id = work.sequence_id
        agent.last_message_id = work.message_id
        agent.last_content = work.content
        user.processed_total += 1
        self.total_processed += 1
        text = RESPONSE_PREFIX + work.content
        if work.conn.dialect == "acme":
            work.conn.send_raw({"op": "sys.typing", "payload": {"agent": agent.agent_id}})
        n = self.args.stream_chunks
        if n > 0:
            agent.current = work
            sent = await self.stream(agent, work, text, n)
            agent.current = None
            if sent is None:
                return  # stream-cut: no final
            final = self.final(work, agent.agent_id, sent, cancelled=work.cancelled)
            if self.fault("final-mismatch"):
                final["content"] = "".join(sent) + " (and more)"  # chunk_count stays right: only the text disagrees
            self.finish(user, work, final)
            if self.fault("chunks-after-final"):
                work.conn.send(self.chunk(work, agent.agent_id, len(sent), "late chunk"))
        else:
            self.finish(user, work, self.final(work, agent.agent_id, None, cancelled=False))
        if not self.fault("no-state-update"):
            update = {"type": "state_update", "user_id": user.user_id, "agent_id": agent.agent_id,
                      "message_count": self.count_of(agent), "last_message_id": agent.last_message_id}
            for other in list(user.connections):
                if other is not work.conn:
                    other.send(update)

    async def stream(self, agent, work, text, n):
        """Sends text in n chunks; returns the chunks' texts, or None when the stream-cut fault fired."""
        size = max(1, -(-len(text) // n))
        pieces = [text[i * size:(i + 1) * size] for i in range(n)]
        order = list(range(n))
        if n > 1 and self.fault("chunk-reorder"):
            order[0], order[1] = order[1], order[0]
        drop = self.rng.randrange(n) if self.fault("chunk-drop") else None
        dup = self.rng.randrange(n) if self.fault("chunk-duplicate") else None
        stall = self.rng.randrange(n) if self.fault("stall") else None
        sent = {}  # index -> text of the chunks the stream went through (sent or, for chunk-drop, skipped)
        for i in order:
            if work.cancelled:
                break
            if i > 0 and self.args.chunk_interval > 0:
                await asyncio.sleep(self.args.chunk_interval)
            if stall == i:
                await asyncio.sleep(self.args.stall_seconds)
            if work.cancelled:
                break
            if i != drop:
                work.conn.send(self.chunk(work, agent.agent_id, i, pieces[i]))
            if dup == i:
                work.conn.send(self.chunk(work, agent.agent_id, i, pieces[i]))
            sent[i] = pieces[i]
        if self.fault("stream-cut"):
            return None
        # The final joins the chunks in index order, however they went out (chunk-reorder only moves frames).
        return [sent[i] for i in sorted(sent)]

    def chunk(self, work, agent_id, index, text):
        return {"type": "ai_response_chunk", "message_id": work.message_id, "sequence_id": work.sequence_id,
                "agent_id": agent_id, "chunk_index": index, "content": text}

    def final(self, work, agent_id, chunks, cancelled):
        frame = {"type": "ai_response", "message_id": work.message_id, "sequence_id": work.sequence_id,
                 "agent_id": agent_id, "timestamp": now_s()}
        if chunks is None:
            frame["content"] = RESPONSE_PREFIX + work.content
        else:
            frame["content"] = "".join(chunks)
            frame["chunk_count"] = len(chunks)
        if cancelled:
            frame["cancelled"] = True
        return frame

    def finish(self, user, work, final):
        """Sends the final reply (through the reorder fault) and replays it to repeats that waited."""
        work.entry.final = final
        agent = user.agents.get(final["agent_id"])
        self.deliver(agent, work.conn, final)
        for waiter in work.entry.waiters:
            replay = dict(final)
            replay["duplicate"] = True
            waiter.send(replay)
        work.entry.waiters = []

    def deliver(self, agent, conn, frame):
        if agent is None:
            return conn.send(frame)
        still = []
        release = []
        for held_conn, held_frame, remaining in agent.held:
            if remaining <= 1:
                release.append((held_conn, held_frame))
            else:
                still.append((held_conn, held_frame, remaining - 1))
        if agent.queue and not agent.held and self.fault("reorder-replies"):
            still.append((conn, frame, 2))
        else:
            conn.send(frame)
        agent.held = still
        for held_conn, held_frame in release:
            held_conn.send(held_frame)
        if not agent.queue and agent.held:
            # Nothing left to pass the held reply: let it go now, late.
            for held_conn, held_frame, _ in agent.held:
                held_conn.send(held_frame)
            agent.held = []

    # -- frames out ----------------------------------------------------------------------------

    def count_of(self, agent):
        count = agent.count
        if "leak-counts" in self.faults and self.fault("leak-counts"):
            count = self.total_processed
        if "count-off-by-one" in self.faults and self.fault("count-off-by-one"):
            count += 1
        return count

    def agent_state(self, user, agent_id, request_id):
        agent = user.agents.get(agent_id)
        frame = {
            "type": "agent_state", "user_id": user.user_id, "agent_id": agent_id,
            "message_count": self.count_of(agent) if agent else (self.count_of(Agent(agent_id))),
            "last_sequence_id": agent.last_sequence_id if agent else 0,
            "last_message_id": agent.last_message_id if agent else None,
            "conversation_context": {"topic": "rapid_message_test", "turns": agent.count if agent else 0,
                                     "last_content": agent.last_content if agent else None},
            "memory_usage": {"rss": rss_bytes()},
            "corrupted": False, "timestamp": now_s(),
        }
        if request_id is not None:
            frame["request_id"] = request_id
        return frame

    def queue_state(self, user, agent_id, request_id):
        if agent_id:
            size = len(user.agents[agent_id].queue) if agent_id in user.agents else 0
        else:
            size = max([len(a.queue) for a in user.agents.values()] or [0])
        frame = {"type": "queue_state", "queue_size": size, "max_capacity": self.capacity,
                 "processed_total": user.processed_total, "rejected_total": user.rejected_total, "timestamp": now_s()}
        if agent_id:
            frame["agent_id"] = agent_id
        if request_id is not None:
            frame["request_id"] = request_id
        return frame

    @staticmethod
    def error(code, message, message_id=None, request_id=None):
        frame = {"type": "error", "code": code, "message": message}
        if message_id is not None:
            frame["message_id"] = message_id
        if request_id is not None:
            frame["request_id"] = request_id
        return frame


def rss_bytes():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def http_response(status, body):
    data = json.dumps(body).encode()
    return http.HTTPStatus(status), [("Content-Type", "application/json"), ("Content-Length", str(len(data))), ("Connection", "close")], data


def make_protocol(backend, tokens, args):
    class Protocol(WebSocketServerProtocol):
        """Adds plain HTTP to the WebSocket port: GET /health and POST /auth/test-user."""

        async def read_http_request(self):
            line = await read_line(self.reader)
            parts = line.decode("ascii", "replace").split(" ")
            if len(parts) != 3:
                raise ValueError("not an HTTP request line")
            self.http_method = parts[0]
            path = parts[1]
            headers = await read_headers(self.reader)
            self.http_body = b""
            length = int(headers.get("Content-Length", "0") or "0")
            if 0 < length <= 65536:
                self.http_body = await self.reader.readexactly(length)
            self.path = path
            self.request_headers = headers
            return path, headers

        async def process_request(self, path, headers):
            url = urllib.parse.urlsplit(path)
            route = url.path.rstrip("/") or "/"
            query = urllib.parse.parse_qs(url.query)
            if route == "/health":
                return http_response(200, {"status": "ok", "uptime_s": round(time.monotonic() - backend.started, 3),
                                           "connections": backend.connections})
            if route == "/auth/test-user":
                if self.http_method != "POST":
                    return http_response(405, {"error": "Use POST /auth/test-user."})
                email = None
                if self.http_body:
                    try:
                        body = json.loads(self.http_body)
                        email = body.get("email") if isinstance(body, dict) else None
                    except ValueError:
                        return http_response(400, {"error": "The body must be JSON such as {\"email\": \"me@example.com\"}, or empty."})
                user_id = "py-user-" + secrets.token_hex(6)
                email = email if isinstance(email, str) else user_id + "@example.com"
                token, exp = tokens.issue(user_id, email)
                return http_response(200, {"user_id": user_id, "token": token, "email": email,
                                           "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(exp))})
            if route != "/ws":
                return http_response(404, {"error": "Not found: this server serves /ws, /health and POST /auth/test-user."})
            token = None
            auth = headers.get("Authorization")
            if auth and auth.lower().startswith("bearer "):
                token = auth[7:].strip()
            if not token and query.get("token"):
                token = query["token"][0]
            user_id = None
            if token:
                user_id, reason = tokens.read(token, verify=args.require_auth)
                if user_id is None and args.require_auth:
                    return http_response(401, {"error": reason + ": fetch a token from POST /auth/test-user."})
            elif args.require_auth:
                return http_response(401, {"error": "A token is required: send 'Authorization: Bearer <token>' or ?token=."})
            if user_id is None:
                user_id = (query.get("user_id") or ["anonymous"])[0]
            self.user_id = user_id
            return None

    return Protocol


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queue-capacity", type=int, default=500)
    parser.add_argument("--response-delay", type=float, default=0.0, help="seconds per message (+ up to 20%% jitter)")
    parser.add_argument("--require-auth", action="store_true")
    parser.add_argument("--expired-tokens", action="store_true", help="/auth/test-user issues tokens whose exp is already past")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault", action="append", default=[], metavar="NAME[=VALUE]",
                        help="; ".join("%s: %s" % (k, v[1]) for k, v in FAULTS.items()))
    parser.add_argument("--stream-chunks", type=int, default=0, help="stream each reply in N ai_response_chunk frames")
    parser.add_argument("--chunk-interval", type=float, default=0.0, help="seconds between chunks")
    parser.add_argument("--stall-seconds", type=float, default=2.0, help="the pause of the stall fault")
    parser.add_argument("--max-size", type=int, default=1024 * 1024)
    parser.add_argument("--max-lifetime", type=float, default=1800.0, help="exits after this many seconds")
    parser.add_argument("--exit-on-stdin-eof", action="store_true", help="exits when standard input closes (the test helper's lifeline)")
    parser.add_argument("--dialect", choices=["acme"], default=None,
                        help="speak another backend's wire shape: acme (op, payload.*, rid, error.*, its own error codes)")
    args = parser.parse_args()
    args.faults = {}
    for spec in args.fault:
        name, _, value = spec.partition("=")
        if name not in FAULTS:
            parser.error("unknown fault %r; known: %s" % (name, ", ".join(FAULTS)))
        kind = FAULTS[name][0]
        try:
            args.faults[name] = (float(value) if value else 1.0) if kind == "rate" else int(value or "1")
        except ValueError:
            parser.error("fault %s takes a %s, not %r" % (name, kind, value))

    backend = Backend(args)
    tokens = Tokens(args.expired_tokens)

    async def handler(ws, path=None):
        user = backend.user(getattr(ws, "user_id", "anonymous"))
        conn = Connection(ws, user, args.dialect)
        user.connections.add(conn)
        backend.connections += 1
        if args.dialect == "acme":
            conn.send_raw({"op": "sys.welcome", "payload": {"user": user.user_id, "server": "independent_server.py",
                                                            "ts": now_s()}})
        try:
            async for message in ws:
                if isinstance(message, bytes):
                    conn.send(Backend.error("invalid_message", "Binary frames are not part of the protocol; send JSON as text frames."))
                    continue
                backend.handle_text(conn, message)
                if conn.closed:
                    break
        except ConnectionClosed:
            pass
        finally:
            conn.closed = True
            user.connections.discard(conn)
            backend.connections -= 1
            conn.writer.cancel()

    stop = asyncio.get_running_loop().create_future()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))

    def stdin_closed():
        if not stop.done():
            stop.set_result(None)

    if args.exit_on_stdin_eof:
        async def watch_stdin():
            await loop.run_in_executor(None, sys.stdin.read)
            stdin_closed()
        asyncio.ensure_future(watch_stdin())
    loop.call_later(args.max_lifetime, stdin_closed)

    async with serve(handler, "127.0.0.1", 0, create_protocol=make_protocol(backend, tokens, args),
                     max_size=args.max_size, max_queue=None, ping_interval=None, close_timeout=2) as server:
        port = server.sockets[0].getsockname()[1]
        info = {"port": port, "url": "ws://127.0.0.1:%d/ws" % port, "base_url": "http://127.0.0.1:%d" % port,
                "faults": args.faults, "pid": os.getpid()}
        if args.dialect:
            info["dialect"] = args.dialect
        print(json.dumps(info), flush=True)
        await stop
    os._exit(0)  # the stdin reader thread may still be blocked


if __name__ == "__main__":
    asyncio.run(main())
