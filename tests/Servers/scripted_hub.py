#!/usr/bin/env python3
"""A scripted SignalR hub (ASP.NET Core's JSON hub protocol over a WebSocket), for the client's edge cases.

Written from the SignalR hub protocol specification, in Python on python3-websockets, and speaking the shape
of module/Examples/signalr-chat.json (SendMessage -> ReceiveReply; GetAgentState -> a Completion). Each
option makes it do one thing a real hub or Azure SignalR Service may do, so that the module's client is
shown to handle it:

  --redirect            negotiate answers {url, accessToken} (as Azure SignalR Service does); the WebSocket
                        must then arrive at that url with access_token=<that token>
  --handshake-error     answers the handshake with {"error": ...} and closes
  --join                sends every reply in the same WebSocket frame as a Presence invocation (two records)
  --split               sends every reply record across two WebSocket frames
  --completion-error    answers GetAgentState with a Completion carrying "error"
  --close-after N       after the Nth SendMessage, sends a Close record with an error and closes

GET /stats answers what it saw: {"pings": pings received from clients, "access_tokens": [...], "connections": n}.
It binds 127.0.0.1 on a free port, prints one JSON line ({"port", "url", "base_url"}) and exits when its
standard input closes.
"""

import argparse
import asyncio
import http
import json
import os
import sys
import time
import urllib.parse

try:
    from websockets.legacy.server import WebSocketServerProtocol, serve
    from websockets.legacy.http import read_headers, read_line
except ImportError:  # pragma: no cover - older layouts
    from websockets.server import WebSocketServerProtocol, serve  # type: ignore
    from websockets.http import read_headers, read_line  # type: ignore
from websockets.exceptions import ConnectionClosed

RS = "\x1e"
STATS = {"pings": 0, "access_tokens": [], "connections": 0}


def response(status, body):
    data = json.dumps(body).encode()
    return http.HTTPStatus(status), [("Content-Type", "application/json"), ("Content-Length", str(len(data))), ("Connection", "close")], data


def make_protocol(args, port_holder):
    class Protocol(WebSocketServerProtocol):
        async def read_http_request(self):
            line = await read_line(self.reader)
            parts = line.decode("ascii", "replace").split(" ")
            if len(parts) != 3:
                raise ValueError("not an HTTP request line")
            self.http_method = parts[0]
            path = parts[1]
            headers = await read_headers(self.reader)
            length = int(headers.get("Content-Length", "0") or "0")
            if 0 < length <= 65536:
                await self.reader.readexactly(length)
            self.path = path
            self.request_headers = headers
            return path, headers

        async def process_request(self, path, headers):
            url = urllib.parse.urlsplit(path)
            route = url.path.rstrip("/")
            query = urllib.parse.parse_qs(url.query)
            if route == "/stats":
                return response(200, STATS)
            if route.endswith("/negotiate"):
                if self.http_method != "POST":
                    return response(405, {"error": "negotiate is POST"})
                if args.redirect and route == "/hub/negotiate":
                    return response(200, {"url": "http://127.0.0.1:%d/routed/hub?asrs.op=x" % port_holder[0], "accessToken": "routed-token"})
                return response(200, {"negotiateVersion": 1, "connectionId": "c1", "connectionToken": "t-" + str(time.monotonic_ns()),
                                      "availableTransports": [{"transport": "WebSockets", "transferFormats": ["Text", "Binary"]}]})
            if route not in ("/hub", "/routed/hub"):
                return response(404, {"error": "not found"})
            if args.redirect and route != "/routed/hub":
                return response(404, {"error": "this hub is only reached through the negotiate redirect"})
            self.user_id = (query.get("user_id") or ["anonymous"])[0]
            STATS["access_tokens"].append((query.get("access_token") or [None])[0])
            return None

    return Protocol


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for flag in ("--redirect", "--handshake-error", "--join", "--split", "--completion-error", "--exit-on-stdin-eof"):
        parser.add_argument(flag, action="store_true")
    parser.add_argument("--close-after", type=int, default=0)
    parser.add_argument("--max-lifetime", type=float, default=600.0)
    args = parser.parse_args()
    counts = {}

    async def send_record(ws, record, extra=None):
        text = json.dumps(record) + RS
        if args.join and extra is not None:
            await ws.send(text + json.dumps(extra) + RS)
        elif args.split:
            # One record across two WebSocket frames: a fragmented message is one frame to the application,
            # so send two messages, the first without its separator.
            await ws.send(text[:len(text) // 2])
            await ws.send(text[len(text) // 2:])
        else:
            await ws.send(text)

    async def handler(ws, path=None):
        user = getattr(ws, "user_id", "anonymous")
        STATS["connections"] += 1
        buffer = ""
        handshaken = False
        try:
            async for message in ws:
                buffer += message if isinstance(message, str) else message.decode()
                while RS in buffer:
                    text, buffer = buffer.split(RS, 1)
                    record = json.loads(text)
                    if not handshaken:
                        handshaken = True
                        if args.handshake_error:
                            await ws.send(json.dumps({"error": "Requested protocol 'json' is not available on this scripted hub."}) + RS)
                            await ws.close()
                            return
                        await ws.send("{}" + RS)
                        continue
                    kind = record.get("type")
                    if kind == 6:
                        STATS["pings"] += 1
                    elif kind == 1 and record.get("target") == "SendMessage":
                        m = record["arguments"][0]
                        key = (user, m.get("agentId"))
                        counts[key] = counts.get(key, 0) + 1
                        reply = {"type": 1, "target": "ReceiveReply", "arguments": [{
                            "messageId": m["messageId"], "sequenceId": m["sequenceId"], "agentId": m.get("agentId"),
                            "content": "AI response to: " + m["content"], "timestamp": time.time()}]}
                        presence = {"type": 1, "target": "Presence", "arguments": [{"user": user, "online": True}]}
                        await send_record(ws, reply, presence)
                        if args.close_after and sum(v for (u, _), v in counts.items() if u == user) >= args.close_after:
                            await ws.send(json.dumps({"type": 7, "error": "Server shutting down for maintenance", "allowReconnect": False}) + RS)
                            await ws.close()
                            return
                    elif kind == 1 and record.get("target") == "GetAgentState" and "invocationId" in record:
                        if args.completion_error:
                            await ws.send(json.dumps({"type": 3, "invocationId": record["invocationId"], "error": "Agent store unavailable"}) + RS)
                        else:
                            agent = (record.get("arguments") or [None])[0]
                            await ws.send(json.dumps({"type": 3, "invocationId": record["invocationId"], "result": {
                                "userId": user, "agentId": agent, "messageCount": counts.get((user, agent), 0), "corrupted": False}}) + RS)
                    elif kind == 1 and record.get("target") == "GetQueueState" and "invocationId" in record:
                        await ws.send(json.dumps({"type": 3, "invocationId": record["invocationId"], "result": {
                            "queueSize": 0, "maxCapacity": 1000, "processedTotal": sum(counts.values()), "rejectedTotal": 0}}) + RS)
                    elif kind == 1 and "invocationId" in record:
                        await ws.send(json.dumps({"type": 3, "invocationId": record["invocationId"], "result": "pong"}) + RS)
        except ConnectionClosed:
            pass

    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def done():
        if not stop.done():
            stop.set_result(None)

    if args.exit_on_stdin_eof:
        async def watch_stdin():
            await loop.run_in_executor(None, sys.stdin.read)
            done()
        asyncio.ensure_future(watch_stdin())
    loop.call_later(args.max_lifetime, done)
    port_holder = [0]
    async with serve(handler, "127.0.0.1", 0, create_protocol=make_protocol(args, port_holder), ping_interval=None, close_timeout=2) as server:
        port_holder[0] = server.sockets[0].getsockname()[1]
        print(json.dumps({"port": port_holder[0], "url": "http://127.0.0.1:%d/hub" % port_holder[0],
                          "base_url": "http://127.0.0.1:%d" % port_holder[0]}), flush=True)
        await stop
    os._exit(0)


if __name__ == "__main__":
    asyncio.run(main())
