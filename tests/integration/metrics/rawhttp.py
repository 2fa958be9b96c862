#!/usr/bin/env python3
"""A scripted raw HTTP/1.1 client for the lazuli-metrics endpoint tests.

usage: rawhttp.py HOST PORT STEP...
  send:TEXT    send TEXT (Python escapes: \\r\\n)
  sleep:SEC    wait
  read:N       read N responses and print one line each:
               STATUS name=value... body=LEN [gunzip=LEN] [load1=yes|no]
  head:N       the same, for responses to HEAD (no body expected)
  trickle:TEXT send TEXT one byte every 2 s; stop quietly when the server hangs up
  eof[:SEC]    print "closed" if the server closes within SEC (default 5) s, else "open"
"""
import gzip
import socket
import sys
import time


class Conn:
    def __init__(self, host, port):
        self.s = socket.create_connection((host, int(port)), timeout=10)
        self.buf = b""

    def fill(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError
        self.buf += d

    def response(self, head_only):
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = lines[0].split(" ")[1]
        fields = {}
        for l in lines[1:]:
            k, _, v = l.partition(":")
            fields[k.strip().lower()] = v.strip()
        n = 0 if head_only else int(fields.get("content-length", "0"))
        while len(self.buf) < n:
            self.fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        out = [status]
        for k in ("content-type", "content-length", "content-encoding", "connection", "allow", "vary"):
            if k in fields:
                out.append("%s=%s" % (k, fields[k].replace(" ", "")))
        out.append("body=%d" % len(body))
        if fields.get("content-encoding") == "gzip" and body:
            body = gzip.decompress(body)
            out.append("gunzip=%d" % len(body))
        if body:
            out.append("load1=%s" % ("yes" if b"\nnode_load1 " in body else "no"))
        return " ".join(out)

    def closed(self, timeout):
        end = time.time() + timeout
        self.s.settimeout(0.2)
        while time.time() < end:
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                return True
            if not d:
                return True
            self.buf += d
        return False


def main():
    c = Conn(sys.argv[1], sys.argv[2])
    for step in sys.argv[3:]:
        op, _, arg = step.partition(":")
        try:
            if op == "send":
                c.s.sendall(arg.encode("latin-1").decode("unicode_escape").encode("latin-1"))
            elif op == "sleep":
                time.sleep(float(arg))
            elif op in ("read", "head"):
                for _ in range(int(arg)):
                    print(c.response(op == "head"), flush=True)
            elif op == "trickle":
                for ch in arg.encode("latin-1").decode("unicode_escape").encode("latin-1"):
                    try:
                        c.s.sendall(bytes([ch]))
                    except OSError:
                        break
                    time.sleep(2)
            elif op == "eof":
                print("closed" if c.closed(float(arg or 5)) else "open", flush=True)
            else:
                sys.exit("unknown step " + step)
        except (EOFError, OSError):
            print("EOF", flush=True)
            return


main()
