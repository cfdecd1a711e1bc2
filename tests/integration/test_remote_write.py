#!/usr/bin/python3
"""Integration tests: the real augur daemon on a free loopback port, fed real
snappy + protobuf bytes, good and bad, with the status each must get and
proof that nothing of a rejected request is stored."""
import math
import os
import signal
import struct
import sys
import threading
import time
import unittest

import snappy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from augur_harness import (BASE_CONFIG, STALE_NAN, Augur, enc_write_request, field_len, enc_label, enc_sample,  # noqa: E402
                           varint)

MIN = 60_000


def minute_base():
    """A minute-aligned timestamp two hours ago: old enough that every bucket
    is past its wall-clock close, recent enough for minute retention."""
    return (int(time.time() * 1000) // 3_600_000 - 2) * 3_600_000


def series(name, job="test", **labels):
    d = {"__name__": name, "job": job}
    d.update(labels)
    return d


class WriteAndRead(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = Augur().start()

    @classmethod
    def tearDownClass(cls):
        cls.a.stop()
        cls.a.cleanup()

    def read_minutes(self, name, start, end, rollup=None, **extra):
        m = [("__name__", "=", name)] + [(k, "=", v) for k, v in extra.items()]
        if rollup:
            m.append(("rollup", "=", rollup))
        st, res = self.a.read([(start, end, m, None)])
        self.assertEqual(st, 200, res)
        return res[0]

    def test_write_then_read_minute_rollups(self):
        t0 = minute_base()
        samples = [(t0 + i * 15_000, float(i)) for i in range(12)]  # 3 minutes of 15s samples
        st, body = self.a.write([(series("it_rollup"), samples)])
        self.assertEqual(st, 204, body)
        res = self.read_minutes("it_rollup", t0, t0 + 3 * MIN)
        self.assertEqual(len(res), 1)
        labels, pts = res[0]
        self.assertEqual(labels, {"__name__": "it_rollup", "job": "test", "rollup": "avg"})
        # minute 0: 0,1,2,3 -> 1.5 ; minute 1: 4..7 -> 5.5 (minute 2 stays open until a later sample)
        self.assertEqual(pts[:2], [(t0 + MIN - 1, 1.5), (t0 + 2 * MIN - 1, 5.5)])
        for agg, want in (("max", 3.0), ("min", 0.0), ("count", 4.0), ("sum", 6.0), ("last", 3.0)):
            r = self.read_minutes("it_rollup", t0, t0 + MIN, rollup=agg)
            self.assertEqual(r[0][1][0], (t0 + MIN - 1, want), agg)
        # rate: counter increase per second within the bucket (1 per 15 s after the first sample)
        r = self.read_minutes("it_rollup", t0 + MIN, t0 + 2 * MIN, rollup="rate")
        self.assertAlmostEqual(r[0][1][0][1], 4 / 60)

    def test_read_with_open_ended_range(self):
        # Clients that mean "everything" send the int64 extremes; the bucket
        # arithmetic must not overflow into an empty answer.
        t0 = minute_base() + 20 * MIN
        st, body = self.a.write([(series("it_open_range"), [(t0, 1.0), (t0 + MIN, 2.0), (t0 + 2 * MIN, 3.0)])])
        self.assertEqual(st, 204, body)
        for start, end in ((t0, (1 << 63) - 1), (-(1 << 63), (1 << 63) - 1), (-(1 << 63), t0 + 2 * MIN)):
            res = self.read_minutes("it_open_range", start, end)
            self.assertEqual(len(res), 1, (start, end))
            self.assertEqual(res[0][1][:2], [(t0 + MIN - 1, 1.0), (t0 + 2 * MIN - 1, 2.0)], (start, end))

    def test_counter_reset_is_handled(self):
        t0 = minute_base() + 10 * MIN
        vals = [10, 20, 30, 5, 15, 25, 35, 45]  # reset after 30
        st, body = self.a.write([(series("it_counter"), [(t0 + i * 15_000, float(v)) for i, v in enumerate(vals)]
                                  + [(t0 + 2 * MIN, 50.0)])])
        self.assertEqual(st, 204, body)
        r = self.read_minutes("it_counter", t0, t0 + 2 * MIN, rollup="rate")
        # minute 0: +10 +10 +5(reset) ; minute 1: +10 +10 +10 +10
        self.assertAlmostEqual(r[0][1][0][1], 25 / 60)
        self.assertAlmostEqual(r[0][1][1][1], 40 / 60)

    def test_duplicates_and_out_of_order_change_nothing(self):
        t0 = minute_base() + 20 * MIN
        s = series("it_dup")
        self.assertEqual(self.a.write([(s, [(t0, 1.0), (t0 + 10_000, 2.0)])])[0], 204)
        before = self.a.metrics()
        # exact retry, an older sample, and an equal timestamp with another value
        self.assertEqual(self.a.write([(s, [(t0, 1.0), (t0 + 10_000, 2.0)])])[0], 204)
        self.assertEqual(self.a.write([(s, [(t0 + 5_000, 100.0), (t0 + 10_000, 100.0)])])[0], 204)
        self.assertEqual(self.a.write([(s, [(t0 + MIN, 3.0)])])[0], 204)  # closes minute 0
        after = self.a.metrics()
        key = 'augur_ingest_samples_total{result="duplicate"}'
        self.assertEqual(after[key] - before.get(key, 0), 4)
        r = self.read_minutes("it_dup", t0, t0 + MIN, rollup="sum")
        self.assertEqual(r[0][1], [(t0 + MIN - 1, 3.0)])

    def test_nan_inf_and_staleness(self):
        t0 = minute_base() + 30 * MIN
        s = series("it_nan")
        before = self.a.metrics()
        st, body = self.a.write([(s, [(t0, 1.0), (t0 + 1000, float("nan")), (t0 + 2000, float("inf")),
                                      (t0 + 3000, float("-inf")), (t0 + 4000, 3.0), (t0 + 5000, STALE_NAN)])])
        self.assertEqual(st, 204, body)
        after = self.a.metrics()
        d = lambda k: after.get(k, 0) - before.get(k, 0)  # noqa: E731
        self.assertEqual(d('augur_ingest_samples_total{result="nonfinite"}'), 3)
        self.assertEqual(d('augur_ingest_samples_total{result="stale_marker"}'), 1)
        self.assertEqual(d('augur_ingest_samples_total{result="accepted"}'), 2)
        # the staleness marker closed the bucket: avg of the two finite values only
        r = self.read_minutes("it_nan", t0, t0 + MIN)
        self.assertEqual(r[0][1], [(t0 + MIN - 1, 2.0)])

    def test_not_kept_series_are_dropped_and_counted(self):
        t0 = minute_base() + 40 * MIN
        before = self.a.metrics()
        st, _ = self.a.write([(series("it_other", job="elsewhere"), [(t0, 1.0), (t0 + MIN, 2.0)])])
        self.assertEqual(st, 204)
        after = self.a.metrics()
        k = 'augur_ingest_samples_total{result="not_kept"}'
        self.assertEqual(after[k] - before.get(k, 0), 2)
        st, res = self.a.read([(t0, t0 + 2 * MIN, [("__name__", "=", "it_other")], None)])
        self.assertEqual((st, res), (200, [[]]))

    def assert_rejected(self, status, body_fn, want_status, want_reason):
        t0 = minute_base() + 50 * MIN
        st, reason = body_fn(t0)
        self.assertEqual(st, want_status, reason)
        self.assertIn(want_reason, reason)
        self.assertEqual(reason.count("\n"), 1, "one-line reason")
        # the valid series in the same request was not stored
        st, res = self.a.read([(t0 - MIN, t0 + 3 * MIN, [("__name__", "=", "it_reject")], None)])
        self.assertEqual((st, res), (200, [[]]))

    def good_and(self, t0, bad_series_bytes):
        good = field_len(1, b"".join(field_len(1, enc_label(n, v)) for n, v in
                                     sorted(series("it_reject").items()))
                         + field_len(2, enc_sample(t0, 1.0)) + field_len(2, enc_sample(t0 + MIN, 1.0)))
        return good + field_len(1, bad_series_bytes)

    def labels_body(self, pairs, t0):
        return b"".join(field_len(1, enc_label(n, v)) for n, v in pairs) + field_len(2, enc_sample(t0, 1.0))

    def test_rejects_unsorted_labels(self):
        self.assert_rejected(None, lambda t0: self.a.write_raw(snappy.compress(self.good_and(
            t0, self.labels_body([("__name__", "x"), ("zone", "a"), ("job", "test")], t0)))), 400, "sorted")

    def test_rejects_duplicate_labels(self):
        self.assert_rejected(None, lambda t0: self.a.write_raw(snappy.compress(self.good_and(
            t0, self.labels_body([("__name__", "x"), ("job", "a"), ("job", "b")], t0)))), 400, "duplicate")

    def test_rejects_empty_label_value(self):
        self.assert_rejected(None, lambda t0: self.a.write_raw(snappy.compress(self.good_and(
            t0, self.labels_body([("__name__", "x"), ("job", "")], t0)))), 400, "empty")

    def test_rejects_bad_label_name(self):
        self.assert_rejected(None, lambda t0: self.a.write_raw(snappy.compress(self.good_and(
            t0, self.labels_body([("__name__", "x"), ("bad-name", "v")], t0)))), 400, "bad-name")

    def test_rejects_label_name_the_store_cannot_index(self):
        # 300 bytes is within ingest.max_label_bytes (16KiB) but over the 255
        # a posting key holds: refused at decode with the reason, not by a
        # failed group commit that also fails the requests committed with it.
        self.assert_rejected(None, lambda t0: self.a.write_raw(snappy.compress(self.good_and(
            t0, self.labels_body([("__name__", "x"), ("job", "test"), ("n" * 300, "v")], t0)))), 413, "name is 300 bytes, limit 255")

    def test_rejects_timestamp_no_bucket_can_hold(self):
        # A "no timestamp" sentinel near INT64_MIN: 400 for this request,
        # and the writer keeps committing other requests afterwards.
        bad = b"".join(field_len(1, enc_label(n, v)) for n, v in [("__name__", "x"), ("job", "test")]) + \
            field_len(2, enc_sample(-(1 << 63) + 1, 1.0))
        self.assert_rejected(None, lambda t0: self.a.write_raw(snappy.compress(self.good_and(t0, bad))), 400,
                             "not stored: AUG_EINVAL")
        time.sleep(2.5)  # past a sweep of the writer
        st, body = self.a.write([(series("it_after_sentinel"), [(minute_base() + 53 * MIN, 1.0)])])
        self.assertEqual(st, 204, body)

    def test_rejects_invalid_utf8(self):
        bad = field_len(1, field_len(1, b"__name__") + field_len(2, b"x")) + \
            field_len(1, field_len(1, b"job") + field_len(2, b"\xc3\x28")) + field_len(2, enc_sample(0, 1.0))
        self.assert_rejected(None, lambda t0: self.a.write_raw(snappy.compress(self.good_and(t0, bad))),
                             400, "UTF-8")

    def test_rejects_truncated_snappy(self):
        self.assert_rejected(None, lambda t0: self.a.write_raw(snappy.compress(self.good_and(
            t0, self.labels_body([("__name__", "x")], t0)))[:-5]), 400, "snappy")

    def test_rejects_lying_length_header(self):
        # declares 10 bytes more than the block really holds
        def body(t0):
            raw = self.good_and(t0, self.labels_body([("__name__", "x")], t0))
            comp = snappy.compress(raw)
            n, i = 0, 0
            shift = 0
            while True:
                c = comp[i]
                n |= (c & 0x7F) << shift
                shift += 7
                i += 1
                if not c & 0x80:
                    break
            return self.a.write_raw(varint(n + 10) + comp[i:])
        self.assert_rejected(None, body, 400, "snappy")

    def test_rejects_huge_declared_length(self):
        self.assert_rejected(None, lambda t0: self.a.write_raw(varint((1 << 32) - 1) + b"\x00" * 16), 413, "")

    def test_rejects_bad_varint(self):
        self.assert_rejected(None, lambda t0: self.a.write_raw(snappy.compress(self.good_and(t0, b"")[:-3] +
                                                                              b"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01")),
                             400, "")

    def test_rejects_truncated_protobuf(self):
        self.assert_rejected(None, lambda t0: self.a.write_raw(snappy.compress(self.good_and(
            t0, self.labels_body([("__name__", "x")], t0))[:-4])), 400, "")

    def test_rejects_wrong_content_type(self):
        self.assert_rejected(None, lambda t0: self.a.write_raw(snappy.compress(self.good_and(
            t0, self.labels_body([("__name__", "x")], t0))), content_type="application/json"), 415, "Content-Type")

    def test_rejects_remote_write_2_message(self):
        # Remote-write 2.0 names its message in a proto= parameter; a v1
        # receiver must answer 415 so the sender falls back to v1, not decode
        # a v2 body as v1 (whose top-level fields it would skip: 204, nothing
        # stored, the batch lost).
        self.assert_rejected(None, lambda t0: self.a.write_raw(snappy.compress(self.good_and(
            t0, self.labels_body([("__name__", "x")], t0))),
            content_type="application/x-protobuf;proto=io.prometheus.write.v2.Request"), 415, "proto")
        t0 = minute_base() + 52 * MIN
        for ct in ("application/x-protobuf;proto=prometheus.WriteRequest",
                   'application/x-protobuf; proto="prometheus.WriteRequest"'):
            st, body = self.a.write_raw(snappy.compress(enc_write_request([(series("it_v1_proto"), [(t0, 1.0)])])),
                                        content_type=ct)
            self.assertEqual(st, 204, (ct, body))

    def test_rejects_wrong_encoding(self):
        self.assert_rejected(None, lambda t0: self.a.write_raw(self.good_and(
            t0, self.labels_body([("__name__", "x")], t0)), encoding="gzip"), 415, "Content-Encoding")

    def test_rejects_oversized_body(self):
        self.assert_rejected(None, lambda t0: self.a.write_raw(os.urandom(40 << 20)), 413, "limit")

    def test_unknown_path_and_method(self):
        self.assertEqual(self.a.get("/nope")[0], 404)
        self.assertEqual(self.a.get("/api/v1/write")[0], 405)

    def test_health_ready_metrics(self):
        self.assertEqual(self.a.get("/-/healthy")[0], 200)
        self.assertEqual(self.a.get("/-/ready")[0], 200)
        m = self.a.metrics()
        for name in ("augur_http_requests_total", "augur_ingest_samples_total", "augur_series",
                     "augur_ingest_commit_duration_seconds_bucket", "augur_store_bytes",
                     "process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds"):
            self.assertTrue(any(k.startswith(name) for k in m), name)
        st, body, _ = self.a.get("/api/v1/status")
        self.assertEqual(st, 200)
        self.assertIn(b'"series":', body)

    def test_read_limits(self):
        t0 = minute_base() + 55 * MIN
        many = [(series("it_many", idx=str(i)), [(t0, 1.0), (t0 + MIN, 1.0)]) for i in range(150)]
        self.assertEqual(self.a.write(many)[0], 204)
        st, reason = self.a.read([(t0, t0 + 2 * MIN, [("__name__", "=", "it_many")], None)])
        self.assertEqual(st, 413, reason)
        self.assertIn("read_max_series", reason)
        st, res = self.a.read([(t0, t0 + 2 * MIN, [("__name__", "=", "it_many"), ("idx", "=~", "1[0-9]")], None)])
        self.assertEqual(st, 413)  # the smallest posting list (__name__) is over the limit too
        st, res = self.a.read([(t0, t0 + 2 * MIN, [("__name__", "=", "it_many"), ("idx", "=", "7")], None)])
        self.assertEqual(st, 200, res)
        self.assertEqual(len(res[0]), 1)

    def test_matchers_all_types(self):
        t0 = minute_base() + 70 * MIN
        data = [(series("it_match", env=e), [(t0, v), (t0 + MIN, v)]) for e, v in
                (("prod", 1.0), ("staging", 2.0), ("dev", 3.0))]
        self.assertEqual(self.a.write(data)[0], 204)

        def envs(extra):
            st, res = self.a.read([(t0, t0 + MIN, [("__name__", "=", "it_match")] + extra, None)])
            self.assertEqual(st, 200, res)
            return sorted(l["env"] for l, _ in res[0])
        self.assertEqual(envs([("env", "=", "prod")]), ["prod"])
        self.assertEqual(envs([("env", "!=", "prod")]), ["dev", "staging"])
        self.assertEqual(envs([("env", "=~", "prod|dev")]), ["dev", "prod"])
        self.assertEqual(envs([("env", "!~", "s.*")]), ["dev", "prod"])
        self.assertEqual(envs([("env", "=~", "rod")]), [])  # anchored


class RetentionBoundary(unittest.TestCase):
    def test_no_gap_where_minute_retention_ends(self):
        # Beyond minute retention a read is served from hour buckets. The hour
        # holding the retention boundary must be served too: its older minutes
        # are no longer served (retention deletes them), so leaving it out
        # dropped up to an hour of data from every long-range panel.
        cfg = BASE_CONFIG.replace("minute_retention: 14d", "minute_retention: 2h")
        a = Augur(config=cfg).start()
        try:
            now = int(time.time() * 1000)
            t_a = (now - 4 * 3_600_000) // 3_600_000 * 3_600_000
            samples = [(t, 1.0) for t in range(t_a, now - 5 * MIN, MIN)]
            st, body = a.write([(series("it_boundary"), samples)])
            self.assertEqual(st, 204, body)
            time.sleep(3)  # the sweep closes the last minute
            st, res = a.read([(t_a, int(time.time() * 1000),
                               [("__name__", "=", "it_boundary"), ("rollup", "=", "count")], None)])
            self.assertEqual(st, 200, res)
            pts = res[0][0][1]
            self.assertEqual(sum(v for _, v in pts), len(samples), pts)
        finally:
            a.stop()
            a.cleanup()


class Reload(unittest.TestCase):
    def test_bad_reload_keeps_old_config(self):
        a = Augur().start()
        try:
            with open(a.config_path, "w") as f:
                f.write("ingest:\n  keep: ['{job=']\n")
            st, body, _ = a.request("POST", "/-/reload")
            self.assertEqual(st, 500)
            self.assertIn(b"augur.yml:2", body)
            self.assertEqual(a.metrics()["augur_config_last_reload_successful"], 0)
            t0 = minute_base()
            self.assertEqual(a.write([(series("it_reload"), [(t0, 1.0)])])[0], 204)
            self.assertEqual(a.metrics()['augur_ingest_samples_total{result="accepted"}'], 1)
            with open(a.config_path, "w") as f:
                f.write("ingest:\n  keep: ['{job=\"other\"}']\n")
            a.proc.send_signal(signal.SIGHUP)
            deadline = time.time() + 10
            while a.metrics()["augur_config_last_reload_successful"] != 1 and time.time() < deadline:
                time.sleep(0.05)
            self.assertEqual(a.write([(series("it_reload"), [(t0 + 1000, 1.0)])])[0], 204)
            m = a.metrics()
            self.assertEqual(m['augur_ingest_samples_total{result="not_kept"}'], 1)
        finally:
            self.assertEqual(a.stop(), 0)
            a.cleanup()


class Durability(unittest.TestCase):
    def test_kill9_right_after_204_loses_nothing(self):
        a = Augur().start()
        try:
            t0 = minute_base()
            acked = []
            for m in range(5):  # five minutes, the last one left open
                pts = [(t0 + m * MIN + s * 1000, float(m * 100 + s)) for s in range(0, 60, 5)]
                st, body = a.write([(series("it_crash", idx=str(k)), pts) for k in range(20)])
                self.assertEqual(st, 204, body)
                acked.append(pts)
            a.proc.send_signal(signal.SIGKILL)
            a.proc.wait()
            a.proc = None
            a.log.close()
            a.start()
            # close the open minute with one later sample per series
            st, _ = a.write([(series("it_crash", idx=str(k)), [(t0 + 5 * MIN, 0.0)]) for k in range(20)])
            self.assertEqual(st, 204)
            st, res = a.read([(t0, t0 + 5 * MIN, [("__name__", "=", "it_crash"), ("rollup", "=~", "sum|count")],
                               None)])
            self.assertEqual(st, 200, res)
            got = {}
            for labels, pts in res[0]:
                got[(labels["idx"], labels["rollup"])] = pts
            self.assertEqual(len(got), 40)
            for k in range(20):
                for agg in ("sum", "count"):
                    want = [(t0 + (m + 1) * MIN - 1, float(sum(v for _, v in acked[m])) if agg == "sum"
                             else float(len(acked[m]))) for m in range(5)]
                    self.assertEqual(got[(str(k), agg)], want, (k, agg))
        finally:
            a.stop()
            a.cleanup()

    def test_kill9_in_release_lag_window_loses_nothing(self):
        """Eight writers keep requests in flight; right after a burst of 204s
        augur is killed while some requests are committed but still held for
        the flush that makes them durable, and others are queued (the
        writer's release lag, ingest.c invariant 8). Every acknowledged
        sample must be there after the restart. (kill -9 keeps the page
        cache, so this checks the protocol end to end, not the flush itself:
        tests/unit/ingest/test_release.c holds the writer inside each flush.)"""
        a = Augur().start()
        try:
            t0 = minute_base()
            nwriters, nseries, burst_size = 8, 25, 120
            acked = [[] for _ in range(nwriters)]  # minutes whose request got a 204
            sent = [0] * nwriters                   # minutes sent, answered or not
            cut_off = [0]                           # requests that died with the daemon
            lock = threading.Lock()
            burst = threading.Event()

            def writer(w):
                m = 0
                while True:
                    sent[w] = m + 1
                    try:
                        st, body = a.write([(series("it_lag", w=str(w), k=str(k)),
                                             [(t0 + m * MIN, float(w * 1000 + m))]) for k in range(nseries)])
                    except Exception:  # the daemon died under this request
                        with lock:
                            cut_off[0] += 1
                        return
                    self.assertEqual(st, 204, body)
                    acked[w].append(m)
                    with lock:
                        if sum(len(x) for x in acked) >= burst_size:
                            burst.set()
                    m += 1

            threads = [threading.Thread(target=writer, args=(w,)) for w in range(nwriters)]
            for t in threads:
                t.start()
            self.assertTrue(burst.wait(120))
            a.proc.send_signal(signal.SIGKILL)
            a.proc.wait()
            for t in threads:
                t.join(120)
            a.proc = None
            a.log.close()
            self.assertGreaterEqual(cut_off[0], 1, "no request was in flight at the kill")
            a.start()
            # close every open minute with a sample after anything sent
            for w in range(nwriters):
                st, _ = a.write([(series("it_lag", w=str(w), k=str(k)), [(t0 + sent[w] * MIN, 0.0)])
                                 for k in range(nseries)])
                self.assertEqual(st, 204)
            for w in range(nwriters):  # one query per writer: 50 series, under web.read_max_series
                st, res = a.read([(t0, t0 + sent[w] * MIN, [("__name__", "=", "it_lag"), ("w", "=", str(w)),
                                                            ("rollup", "=~", "sum|count")], None)])
                self.assertEqual(st, 200, res)
                got = {(lb["w"], lb["k"], lb["rollup"]): dict(pts) for lb, pts in res[0]}
                for k in range(nseries):
                    for m in acked[w]:
                        end = t0 + (m + 1) * MIN - 1
                        self.assertEqual(got.get((str(w), str(k), "count"), {}).get(end), 1.0, (w, k, m))
                        self.assertEqual(got.get((str(w), str(k), "sum"), {}).get(end), float(w * 1000 + m),
                                         (w, k, m))
        finally:
            a.stop()
            a.cleanup()

    def test_sigterm_exits_cleanly_and_keeps_data(self):
        a = Augur().start()
        try:
            t0 = minute_base()
            self.assertEqual(a.write([(series("it_term"), [(t0, 4.0), (t0 + MIN, 1.0)])])[0], 204)
            self.assertEqual(a.stop(signal.SIGTERM), 0)
            self.assertIn("augur stopped", a.logs())
            a.start()
            st, res = a.read([(t0, t0 + MIN, [("__name__", "=", "it_term")], None)])
            self.assertEqual(res[0][0][1], [(t0 + MIN - 1, 4.0)])
        finally:
            a.stop()
            a.cleanup()


class StoreTools(unittest.TestCase):
    def test_second_writer_is_refused_and_inspect_reads_live_store(self):
        a = Augur().start()
        try:
            t0 = minute_base()
            self.assertEqual(a.write([(series("it_tool", env="a\"b"), [(t0, 2.0), (t0 + 1000, 4.0), (t0 + MIN, 1.0)])])[0],
                             204)
            # a second daemon on the same store must refuse to start
            import subprocess
            from augur_harness import binary, free_port
            p = subprocess.run([binary("augur"), "--config.file=" + a.config_path, "--storage.path=" + a.store,
                                "--web.listen-address=127.0.0.1:%d" % free_port()],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 1)
            self.assertIn("in use by another augur process", p.stderr + p.stdout)
            # inspect reads while the daemon runs
            ls = subprocess.run([binary("augurctl"), "inspect", "--storage.path=" + a.store],
                                capture_output=True, text=True, timeout=30)
            self.assertEqual(ls.returncode, 0, ls.stderr)
            self.assertIn('it_tool{env="a\\"b",job="test"}', ls.stdout)
            dump = subprocess.run([binary("augurctl"), "inspect", "--storage.path=" + a.store,
                                   "--series", 'it_tool{job="test"}'], capture_output=True, text=True, timeout=30)
            self.assertEqual(dump.returncode, 0, dump.stderr)
            lines = dump.stdout.strip().splitlines()
            self.assertEqual(lines[0], "series,resolution,start,count,sum,min,max,last,increase")
            self.assertEqual(len(lines), 2)
            self.assertTrue(lines[1].endswith(",minute,%d,2,6,2,4,4,2" % (t0 // 1000)), lines[1])
        finally:
            a.stop()
            a.cleanup()

    def test_inspect_of_a_missing_store_fails_and_creates_nothing(self):
        # A mistyped --storage.path must not look like an empty store (exit 0,
        # no output) nor leave a fresh store behind.
        import subprocess
        import tempfile
        from augur_harness import binary
        with tempfile.TemporaryDirectory() as d:
            missing = os.path.join(d, "typo", "data")
            p = subprocess.run([binary("augurctl"), "inspect", "--storage.path=" + missing],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertIn("no augur store", p.stderr)
            self.assertFalse(os.path.exists(os.path.join(d, "typo")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
