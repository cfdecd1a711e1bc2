#!/usr/bin/python3
"""Integration tests of the HTTP front door: the real augur daemon, what
/api/v1/status and the json log print of user-controlled text, and the
listen addresses (IPv6, bad ones)."""
import json
import os
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from augur_harness import Augur, binary  # noqa: E402

# A double quote, a backslash, a control character (no newline) and a byte
# that is not UTF-8 (carried by Python's surrogateescape to the argv bytes).
WEIRD = 'we"ird\\na\x01me\udcff'


def as_json_text(path):
    """What augur's JSON must say for a path: its bytes, ill-formed UTF-8
    replaced by U+FFFD (util/json.h)."""
    return os.fsencode(path).decode("utf-8", "replace")


class StatusEscaping(unittest.TestCase):
    def test_status_and_json_log_give_back_exact_paths(self):
        a = Augur(config_name="cfg-" + WEIRD + ".yml", extra_args=["--log.format=json"])
        a.store = os.path.join(a.tmp, "data-" + WEIRD)
        try:
            a.start()
            st, body, hdr = a.get("/api/v1/status")
            self.assertEqual(st, 200, body)
            self.assertEqual(hdr["Content-Type"], "application/json")
            data = json.loads(body)["data"]
            self.assertEqual(data["config"]["file"], as_json_text(a.config_path))
            self.assertEqual(data["store"]["path"], as_json_text(a.store))
            self.assertIn("\ufffd", data["store"]["path"])
            started = [json.loads(line) for line in a.logs().splitlines() if '"augur started"' in line]
            self.assertEqual(len(started), 1, a.logs())
            self.assertEqual(started[0]["config"], as_json_text(a.config_path))
            self.assertEqual(started[0]["storage"], as_json_text(a.store))
        finally:
            a.stop()
            a.cleanup()


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@unittest.skipUnless(has_ipv6_loopback(), "this machine has no IPv6 loopback address ::1 to bind")
class IPv6Listen(unittest.TestCase):
    def test_write_and_health_over_ipv6_loopback(self):
        a = Augur(host="::1")
        try:
            a.start()  # polls http://[::1]:PORT/-/ready
            self.assertIn("listen=[::1]:%d " % a.port, a.logs())
            self.assertEqual(a.get("/-/healthy")[:2], (200, b"augur is Healthy.\n"))
            t0 = (int(time.time() * 1000) // 3_600_000 - 2) * 3_600_000
            samples = [(t0 + i * 15_000, float(i)) for i in range(8)]
            st, body = a.write([({"__name__": "it_v6", "job": "test"}, samples)])
            self.assertEqual(st, 204, body)
            st, res = a.read([(t0, t0 + 60_000, [("__name__", "=", "it_v6")], None)])
            self.assertEqual(st, 200, res)
            self.assertEqual(res[0][0][1][0], (t0 + 60_000 - 1, 1.5))
            # only [::] takes IPv4 as well: nothing answers on the IPv4 loopback
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", a.port), timeout=5).close()
        finally:
            a.stop()
            a.cleanup()

    def test_unspecified_ipv6_takes_ipv4_too(self):
        a = Augur(host="::")
        try:
            a.start()  # polls http://[::1]:PORT/-/ready
            self.assertIn("listen=[::]:%d " % a.port, a.logs())
            a.connect_host = "127.0.0.1"  # [::] is dual-stack
            self.assertEqual(a.get("/-/healthy")[0], 200)
        finally:
            a.stop()
            a.cleanup()


class BadListenAddress(unittest.TestCase):
    def test_one_line_error_and_flag_exit_code(self):
        a = Augur()
        try:
            for addr, why in (("[::1", "missing ']'"), ("::1:9201", "goes in brackets"),
                              ("[::1]:65536", "from 0 to 65535"), ("nosuchhost:9201", "not an IPv4 address")):
                p = subprocess.run([binary("augur"), "--config.file=" + a.config_path, "--storage.path=" + a.store,
                                    "--web.listen-address=" + addr], capture_output=True, text=True, timeout=30)
                self.assertEqual(p.returncode, 2, addr)  # as every other flag error
                self.assertEqual(p.stdout, "")
                lines = p.stderr.splitlines()
                self.assertEqual(len(lines), 1, p.stderr)
                self.assertTrue(lines[0].startswith("augur: --web.listen-address: '%s'" % addr), lines[0])
                self.assertIn(why, lines[0])
                self.assertFalse(os.path.exists(a.store), "nothing starts before the flags are checked")
        finally:
            a.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
