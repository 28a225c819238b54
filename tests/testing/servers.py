"""Small real servers that tests start on localhost: an SMTP server (asyncio streams; the
standard library's ``smtpd`` is gone) and an HTTP server that records JSON posts."""

import asyncio
import json
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class ReceivedMail:
    sender: str
    recipients: list
    data: bytes

    @property
    def message(self):
        return message_from_bytes(self.data, policy=policy.default)


@dataclass
class LocalSMTPServer:
    """An SMTP server speaking just enough of RFC 5321 for smtplib, keeping what it gets."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list = field(default_factory=list)
    refuse_recipients: set = field(default_factory=set)

    def start(self):
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run():
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._session, self.host, 0)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(5)
        return self

    def stop(self):
        def close():
            self._server.close()
            self._loop.stop()

        self._loop.call_soon_threadsafe(close)
        self._thread.join(5)
        self._loop.close()

    async def _session(self, reader, writer):
        def reply(line):
            writer.write(line.encode() + b"\r\n")

        reply("220 localhost test SMTP")
        sender, recipients = "", []
        while True:
            line = await reader.readline()
            if not line:
                break
            command = line.decode("utf-8", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                reply("250 localhost")
            elif verb == "MAIL":
                sender, recipients = command.partition(":")[2].strip().strip("<>"), []
                reply("250 OK")
            elif verb == "RCPT":
                recipient = command.partition(":")[2].strip().strip("<>")
                if recipient in self.refuse_recipients:
                    reply("550 No such user")
                else:
                    recipients.append(recipient)
                    reply("250 OK")
            elif verb == "DATA":
                reply("354 End data with <CR><LF>.<CR><LF>")
                await writer.drain()
                lines = []
                while True:
                    data_line = await reader.readline()
                    if data_line in (b".\r\n", b".\n", b""):
                        break
                    lines.append(data_line[1:] if data_line.startswith(b"..") else data_line)
                self.messages.append(ReceivedMail(sender, recipients, b"".join(lines)))
                reply("250 OK queued")
            elif verb == "QUIT":
                reply("221 Bye")
                await writer.drain()
                break
            else:  # RSET, NOOP and the rest
                reply("250 OK")
            await writer.drain()
        writer.close()


class _Recorder(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the http.server name
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        server = self.server
        server.requests.append(
            {"path": self.path, "headers": dict(self.headers), "json": json.loads(body or b"{}")}
        )
        status, answer = server.answer
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


class LocalJSONServer(ThreadingHTTPServer):
    """An HTTP server that records each JSON POST and answers ``answer`` (status, JSON)."""

    daemon_threads = True

    def __init__(self, answer=(200, {"id": "msg-1"})):
        super().__init__(("127.0.0.1", 0), _Recorder)
        self.requests = []
        self.answer = answer

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/messages"

    def start(self):
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()
        self._thread.join(5)
