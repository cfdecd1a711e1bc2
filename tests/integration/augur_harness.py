"""Test harness: starts the real augur daemon on a free loopback port with a
temporary store, and speaks remote-write / remote-read with real snappy +
protobuf bytes encoded here independently of augur's own encoder.

Used by tests/integration/*.py and tests/e2e/*.py (run with /usr/bin/python3,
which has Debian's python3-snappy).
"""
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import snappy

STALE_NAN = struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000002))[0]


# ---- protobuf, hand-rolled (proto3 wire format) ----

def varint(n):
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_len(num, payload):
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def field_varint(num, v):
    return varint(num << 3) + varint(v)


def field_double(num, v):
    return varint(num << 3 | 1) + struct.pack("<d", v)


def enc_label(name, value):
    return field_len(1, name.encode()) + field_len(2, value.encode())


def enc_sample(ts_ms, value):
    return field_double(1, value) + field_varint(2, ts_ms)


def enc_series(labels, samples, sort=True):
    """labels: dict or list of (name, value); samples: list of (ts_ms, value)."""
    items = list(labels.items()) if isinstance(labels, dict) else list(labels)
    if sort:
        items.sort()
    body = b"".join(field_len(1, enc_label(n, v)) for n, v in items)
    body += b"".join(field_len(2, enc_sample(t, v)) for t, v in samples)
    return body


def enc_write_request(series, sort=True):
    """series: list of (labels, samples)."""
    return b"".join(field_len(1, enc_series(l, s, sort)) for l, s in series)


MATCH = {"=": 0, "!=": 1, "=~": 2, "!~": 3}


def enc_read_request(queries):
    """queries: list of (start_ms, end_ms, [(name, op, value)], step_ms or None)."""
    out = b""
    for start, end, matchers, step in queries:
        q = field_varint(1, start) + field_varint(2, end)
        for name, op, value in matchers:
            m = field_varint(1, MATCH[op]) + field_len(2, name.encode()) + field_len(3, value.encode())
            q += field_len(3, m)
        if step is not None:
            q += field_len(4, field_varint(1, step) + field_varint(3, start) + field_varint(4, end))
        out += field_len(1, q)
    return out


def read_varint(b, i):
    shift = n = 0
    while True:
        c = b[i]
        i += 1
        n |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return n, i


def fields(b):
    i = 0
    while i < len(b):
        key, i = read_varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(b, i)
        elif wt == 1:
            v = b[i:i + 8]
            i += 8
        elif wt == 2:
            ln, i = read_varint(b, i)
            v = b[i:i + ln]
            i += ln
        elif wt == 5:
            v = b[i:i + 4]
            i += 4
        else:
            raise ValueError("wire type %d" % wt)
        yield num, wt, v


def dec_series(ts):
    """One prometheus.TimeSeries → (labels dict, [(ts_ms, value)])."""
    labels, samples = {}, []
    for n3, _, v in fields(ts):
        if n3 == 1:
            kv = {k: val.decode() for k, _, val in fields(v)}
            labels[kv.get(1, "")] = kv.get(2, "")
        elif n3 == 2:
            val, t = 0.0, 0
            for n4, _, x in fields(v):
                if n4 == 1:
                    val = struct.unpack("<d", x)[0]
                elif n4 == 2:
                    t = x - (1 << 64) if x >= 1 << 63 else x
            samples.append((t, val))
    return labels, samples


def dec_read_response(b):
    """Returns [ [ (labels dict, [(ts_ms, value)]) ] per query ]."""
    return [[dec_series(ts) for n2, _, ts in fields(qr) if n2 == 1] for num, _, qr in fields(b) if num == 1]


def dec_write_request(b):
    """Returns [(labels dict, [(ts_ms, value)])] of a WriteRequest."""
    return [dec_series(ts) for num, _, ts in fields(b) if num == 1]


class Receiver:
    """A remote-write receiver on a free loopback port that records every
    request (headers and decoded series) and answers 204."""

    def __init__(self):
        import http.server
        import threading
        self.requests = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    outer.requests.append((dict(self.headers), dec_write_request(snappy.uncompress(body))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d/api/v1/write" % self.port

    def series(self):
        """Every received sample, as {(name, sorted label items): [(ts, v)]} in arrival order."""
        out = {}
        with self.lock:
            for _, ser in self.requests:
                for labels, samples in ser:
                    key = (labels.get("__name__"), tuple(sorted((k, v) for k, v in labels.items() if k != "__name__")))
                    out.setdefault(key, []).extend(samples)
        return out

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# ---- the daemon ----

def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def host_port(host, port):
    """host:port, an IPv6 host in brackets (as --web.listen-address and URLs want)."""
    return ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)


def binary(name):
    """Path of a built binary: $AUGUR_BUILD/<sub>/name or build/<sub>/name."""
    build = os.environ.get("AUGUR_BUILD", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
    for sub in ("", "tools"):
        p = os.path.join(build, sub, name)
        if os.path.exists(p):
            return os.path.abspath(p)
    raise FileNotFoundError(name + " not built under " + build)


BASE_CONFIG = """
storage:
  minute_retention: 14d
  hour_retention: 400d
ingest:
  keep: ['{job="test"}', '{job="node"}']
  close_delay: 1s
web:
  read_max_series: 100
"""


class Augur:
    def __init__(self, config=BASE_CONFIG, store=None, extra_args=(), config_name="augur.yml", host="127.0.0.1"):
        self.host = host  # numeric IPv4 or IPv6 address to listen on
        # where requests go: the loopback of the same family for an unspecified host
        self.connect_host = {"::": "::1", "0.0.0.0": "127.0.0.1"}.get(host, host)
        self.tmp = tempfile.mkdtemp(prefix="augur-it-")
        self.store = store or os.path.join(self.tmp, "data")
        self.config_path = os.path.join(self.tmp, config_name)
        with open(self.config_path, "w") as f:
            f.write(config)
        self.extra_args = list(extra_args)
        self.proc = None
        self.log_path = os.path.join(self.tmp, "augur.log")

    def start(self, timeout=20):
        self.port = free_port(self.host)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [binary("augur"), "--config.file=" + self.config_path, "--storage.path=" + self.store,
             "--web.listen-address=" + host_port(self.host, self.port)] + self.extra_args,
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("augur exited %d:\n%s" % (self.proc.returncode, self.logs()))
            try:
                if self.get("/-/ready")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("augur not ready:\n" + self.logs())

    def logs(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    @property
    def url(self):
        return "http://" + host_port(self.connect_host, self.port)

    def request(self, method, path, body=None, headers=None, timeout=60):
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)

    def get(self, path):
        return self.request("GET", path)

    def write_raw(self, body, content_type="application/x-protobuf", encoding="snappy", extra=None):
        h = {"X-Prometheus-Remote-Write-Version": "0.1.0"}
        if content_type is not None:
            h["Content-Type"] = content_type
        if encoding is not None:
            h["Content-Encoding"] = encoding
        h.update(extra or {})
        st, b, _ = self.request("POST", "/api/v1/write", body, h)
        return st, b.decode(errors="replace")

    def write(self, series, sort=True):
        return self.write_raw(snappy.compress(enc_write_request(series, sort)))

    def read(self, queries):
        body = snappy.compress(enc_read_request(queries))
        st, b, h = self.request("POST", "/api/v1/read", body, {
            "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
            "X-Prometheus-Remote-Read-Version": "0.1.0"})
        if st != 200:
            return st, b.decode(errors="replace")
        return st, dec_read_response(snappy.uncompress(b))

    def metrics(self):
        st, b, _ = self.get("/metrics")
        assert st == 200
        out = {}
        for line in b.decode().splitlines():
            if not line or line.startswith("#"):
                continue
            m = re.match(r"^(\S+?)(\{.*\})? (\S+)$", line)
            if m:
                out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
        return out

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        self.log.close()
        return rc

    def cleanup(self):
        if self.proc is not None:
            self.stop(signal.SIGKILL)
        shutil.rmtree(self.tmp, ignore_errors=True)
