#!/usr/bin/env python3
"""List or delete the JetStream streams whose names start with a prefix, speaking the NATS
protocol directly (standard library only: the `nats` CLI is often not installed).

    deploy/nats-streams.py [--url nats://127.0.0.1:4222] list   PLIMAGE_
    deploy/nats-streams.py [--url nats://127.0.0.1:4222] delete PLIMAGE_

Prints one stream name a line (for delete: the ones deleted). Exit 1 when NATS or JetStream
does not answer, 2 when a deletion was refused.
"""

import argparse
import json
import secrets
import socket
import sys
import urllib.parse


class Nats:
    def __init__(self, url, timeout=5.0):
        u = urllib.parse.urlparse(url)
        self.sock = socket.create_connection((u.hostname or "127.0.0.1", u.port or 4222), timeout=timeout)
        self.buf = b""
        info = self._line()
        if not info.startswith(b"INFO "):
            raise RuntimeError(f"not a NATS server: {info[:80]!r}")
        connect = {"verbose": False, "pedantic": False, "headers": True, "no_responders": True,
                   "name": "partnerline-deploy-cleanup", "lang": "python", "version": "0"}
        if u.username:
            connect["user"] = urllib.parse.unquote(u.username)
            connect["pass"] = urllib.parse.unquote(u.password or "")
        self.inbox = "_INBOX." + secrets.token_hex(8)
        self.sock.sendall(f"CONNECT {json.dumps(connect)}\r\nSUB {self.inbox}.* 1\r\nPING\r\n".encode())
        while True:
            line = self._line()
            if line == b"PONG":
                break
            if line.startswith(b"-ERR"):
                raise RuntimeError(line.decode(errors="replace"))
        self.n = 0

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("connection closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def request(self, subject, payload=b""):
        self.n += 1
        reply = f"{self.inbox}.{self.n}"
        self.sock.sendall(f"PUB {subject} {reply} {len(payload)}\r\n".encode() + payload + b"\r\n")
        while True:
            line = self._line()
            if line == b"PING":
                self.sock.sendall(b"PONG\r\n")
                continue
            if line.startswith(b"-ERR"):
                raise RuntimeError(line.decode(errors="replace"))
            parts = line.split()
            if parts and parts[0] == b"MSG":
                body = self._exact(int(parts[-1]))
                if parts[1].decode() == reply:
                    return json.loads(body or b"{}")
            elif parts and parts[0] == b"HMSG":
                total = int(parts[-1])
                hlen = int(parts[-2])
                raw = self._exact(total)
                if parts[1].decode() == reply:
                    head = raw[:hlen].decode(errors="replace")
                    if "503" in head.split("\r\n")[0]:
                        raise RuntimeError("JetStream is not enabled on this server (no responders)")
                    return json.loads(raw[hlen:] or b"{}")


def names(nc, prefix):
    out, offset = [], 0
    while True:
        r = nc.request("$JS.API.STREAM.NAMES", json.dumps({"offset": offset}).encode())
        if "error" in r:
            raise RuntimeError(f"STREAM.NAMES: {r['error']}")
        page = r.get("streams") or []
        out.extend(s for s in page if s.startswith(prefix))
        offset += len(page)
        if not page or offset >= r.get("total", 0):
            return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="nats://127.0.0.1:4222")
    ap.add_argument("action", choices=["list", "delete"])
    ap.add_argument("prefix", help="stream name prefix, e.g. PLIMAGE_ (never empty)")
    a = ap.parse_args()
    if len(a.prefix) < 2:
        ap.error("refusing a prefix shorter than 2 characters")
    try:
        nc = Nats(a.url)
        found = names(nc, a.prefix)
    except (OSError, RuntimeError, ValueError) as e:
        print(f"nats-streams: {a.url}: {e}", file=sys.stderr)
        return 1
    refused = 0
    for s in found:
        if a.action == "delete":
            r = nc.request(f"$JS.API.STREAM.DELETE.{s}")
            if not r.get("success"):
                print(f"nats-streams: delete {s}: {r.get('error')}", file=sys.stderr)
                refused += 1
                continue
        print(s)
    return 2 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
