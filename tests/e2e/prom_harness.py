"""Starts Debian's real Prometheus (the `prometheus` package, 2.42) on a free
loopback port with a config the test writes, and queries its HTTP API."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from augur_harness import free_port  # noqa: E402

PROMETHEUS = os.environ.get("PROMETHEUS", "/usr/bin/prometheus")


class Prometheus:
    def __init__(self, config_fn, extra_args=(), port=None):
        """config_fn(port) -> YAML text (it may scrape Prometheus itself)."""
        self.tmp = tempfile.mkdtemp(prefix="augur-e2e-prom-")
        self.port = port or free_port()
        self.config_path = os.path.join(self.tmp, "prometheus.yml")
        with open(self.config_path, "w") as f:
            f.write(config_fn(self.port))
        self.extra_args = list(extra_args)
        self.proc = None
        self.log_path = os.path.join(self.tmp, "prometheus.log")

    def start(self, timeout=60):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + self.config_path, "--storage.tsdb.path=" + os.path.join(self.tmp, "tsdb"),
             "--web.listen-address=127.0.0.1:%d" % self.port, "--web.enable-lifecycle"] + self.extra_args,
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("prometheus exited:\n" + self.logs())
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("prometheus not ready:\n" + self.logs())

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def logs(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-5000:]

    def query(self, expr, at=None):
        q = {"query": expr}
        if at is not None:
            q["time"] = "%.3f" % at
        with urllib.request.urlopen(self.url + "/api/v1/query?" + urllib.parse.urlencode(q), timeout=30) as r:
            body = json.load(r)
        if body.get("status") != "success":
            raise RuntimeError("query %s failed: %s" % (expr, body))
        return body["data"]["result"], body.get("warnings", [])

    def query_range(self, expr, start, end, step):
        q = {"query": expr, "start": "%.3f" % start, "end": "%.3f" % end, "step": str(step)}
        with urllib.request.urlopen(self.url + "/api/v1/query_range?" + urllib.parse.urlencode(q), timeout=30) as r:
            body = json.load(r)
        if body.get("status") != "success":
            raise RuntimeError("query_range %s failed: %s" % (expr, body))
        return body["data"]["result"], body.get("warnings", [])

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self.log.close()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
