#!/usr/bin/python3
"""Integration tests of the HTTP front door and what it prints: the real
augur daemon, /api/v1/status and the json log with user-controlled text."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from augur_harness import Augur  # noqa: E402

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


if __name__ == "__main__":
    unittest.main(verbosity=2)
