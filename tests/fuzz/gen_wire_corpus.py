#!/usr/bin/env python3
"""Writes the seed corpora of the wire fuzzers (run once; output checked in).

    tests/fuzz/gen_wire_corpus.py [tests/fuzz/corpus]

corpus/snappy/         snappy blocks (what an HTTP body carries)
corpus/write_request/  *uncompressed* WriteRequest protobuf (the fuzzer
                       compresses it before calling wire_write_decode)
corpus/read_request/   *uncompressed* ReadRequest protobuf (same)

Each file is small; names start with ok_ (should decode) or bad_ (should be
refused); tests/unit/wire/test_corpus.c checks that. Files named by a SHA-1
were added from fuzzing runs, minimized to edge coverage with
`fuzz_<target> -merge=1 -use_counters=0 tests/fuzz/corpus/<target> RUN_DIR`. The encoders here are written from the protobuf and snappy format
descriptions, independently of src/wire, so the seeds also cross-check it.
"""
import os
import struct
import sys


def varint(v):
    v &= (1 << 64) - 1  # int64 → two's complement uint64
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def tag(field, wt):
    return varint(field << 3 | wt)


def ld(field, payload):  # length-delimited field
    return tag(field, 2) + varint(len(payload)) + payload


def vi(field, v):
    return tag(field, 0) + varint(v)


def f64(field, bits):
    return tag(field, 1) + struct.pack("<Q", bits)


def dbl(v):
    return struct.unpack("<Q", struct.pack("<d", v))[0]


def label(name, value):
    return ld(1, ld(1, name) + ld(2, value))


def sample(bits, ts):
    return ld(2, f64(1, bits) + vi(2, ts))


def series(labels, samples):
    return ld(1, b"".join(label(n, v) for n, v in labels) + b"".join(sample(b, t) for b, t in samples))


STALE = 0x7FF0000000000002
T0 = 1700000000000

NODE = [(b"__name__", b"node_cpu_seconds_total"), (b"cpu", b"0"), (b"instance", b"10.0.12.34:9100"),
        (b"job", b"node"), (b"mode", b"idle")]


def write_requests():
    ok = {
        "ok_empty": b"",
        "ok_one": series([(b"__name__", b"up"), (b"job", b"node")], [(dbl(1.0), T0)]),
        "ok_typical": b"".join(
            series(NODE[:1] + [(b"cpu", str(i).encode())] + NODE[2:], [(dbl(1234.5 + i), T0 + i)])
            for i in range(4)),
        "ok_staleness": series(NODE, [(STALE, T0), (0x8000000000000000, T0 + 1), (0x7FF8000000000001, -T0)]),
        "ok_utf8": series([(b"__name__", b"job:rate5m"), (b"city", "Zürich 日本 😀".encode())], [(dbl(2.0), 1)]),
        # Unknown fields everywhere, fields reversed, a repeated name (last wins),
        # metadata (WriteRequest 3), exemplar (TimeSeries 3), histogram (4).
        "ok_odd_fields": ld(3, b"\x08\x01") + vi(2, 7) + ld(1,
            ld(3, b"exemplar") + ld(1, ld(2, b"up") + ld(1, b"wrong") + ld(1, b"__name__") + vi(9, 1)) +
            ld(4, b"histogram") + ld(2, vi(2, 5) + f64(1, dbl(3.5)) + ld(7, b"x")) + ld(2, b"")),
        "ok_many_samples": series([(b"__name__", b"http_requests_total"), (b"code", b"200")],
                                  [(dbl(i * 1.5), T0 + 15000 * i) for i in range(20)]),
    }
    bad = {
        "bad_unsorted": series([(b"__name__", b"up"), (b"zone", b"a"), (b"job", b"b")], [(0, 1)]),
        "bad_duplicate": series([(b"__name__", b"up"), (b"job", b"a"), (b"job", b"b")], [(0, 1)]),
        "bad_utf8": series([(b"__name__", b"up"), (b"job", b"\xed\xa0\x80")], [(0, 1)]),
        "bad_overlong": series([(b"__name__", b"up"), (b"job", b"\xc0\xaf")], [(0, 1)]),
        "bad_nul": series([(b"__name__", b"up"), (b"job", b"a\x00b")], [(0, 1)]),
        "bad_metric_name": series([(b"__name__", b"1up")], [(0, 1)]),
        "bad_label_name": series([(b"__name__", b"up"), (b"a-b", b"x")], [(0, 1)]),
        "bad_empty_value": series([(b"__name__", b"up"), (b"job", b"")], [(0, 1)]),
        "bad_no_labels": ld(1, sample(0, 1)),
        "bad_wire_type": vi(1, 5),
        "bad_group": tag(1, 3) + tag(1, 4),
        "bad_nested_len": ld(1, tag(1, 2) + varint(40) + b"short"),
        "bad_len_overflow": tag(1, 2) + varint(0xFFFFFFFFFFFFFFF0),
        "bad_truncated_varint": ld(1, label(b"__name__", b"up") + ld(2, tag(2, 0) + b"\x80\x80")),
        "bad_sample_type": ld(1, label(b"__name__", b"up") + ld(2, vi(1, 3))),
    }
    return {**ok, **bad}


def matcher(t, name, value):
    return ld(3, vi(1, t) + ld(2, name) + ld(3, value))


def query(start, end, matchers, hints=None):
    q = vi(1, start) + vi(2, end) + b"".join(matcher(*m) for m in matchers)
    if hints is not None:
        q += ld(4, hints)
    return ld(1, q)


def read_requests():
    ms = [(0, b"__name__", b"http_requests_total"), (1, b"job", b"batch"), (2, b"instance", b"web-.*"),
          (3, b"code", b"5..")]
    hints = vi(1, 60000) + ld(2, b"rate") + vi(3, T0) + vi(4, T0 + 3600000) + ld(5, b"job") + vi(6, 1)
    return {
        "ok_prometheus": query(T0, T0 + 3600000, ms, hints),
        "ok_two_queries_packed": query(T0, T0, ms[:1]) + query(-5, 5, [(0, b"rollup", b"")]) + ld(2, b"\x01\x00"),
        "ok_unpacked_types": query(0, 1, ms[:2]) + vi(2, 1) + vi(2, 0),
        "ok_chunks_only": query(0, 1, ms[:1]) + vi(2, 1),
        "ok_empty": b"",
        "bad_type": query(0, 1, [(7, b"job", b"x")]),
        "bad_start_after_end": query(10, 9, ms[:1]),
        "bad_negative_step": query(0, 1, ms[:1], vi(1, -1)),
        "bad_empty_name": query(0, 1, [(0, b"", b"x")]),
        "bad_utf8": query(0, 1, [(0, b"job", b"\xf4\x90\x80\x80")]),
        "bad_group": tag(1, 3),
        "bad_truncated": ld(1, vi(1, 5))[:-1],
    }


def snappy_literal(data):
    n = len(data)
    if n == 0:
        return b""
    if n <= 60:
        return bytes([(n - 1) << 2]) + data
    if n <= 256:
        return bytes([60 << 2, n - 1]) + data
    return bytes([61 << 2]) + struct.pack("<H", n - 1) + data


def snappy_blocks():
    wr = write_requests()["ok_typical"]
    return {
        "ok_empty": b"\x00",
        "ok_literal": varint(5) + snappy_literal(b"hello"),
        "ok_copy1": b"\x0a\x00a\x15\x01",  # "a" + copy L=9 offset=1
        "ok_copy2": varint(8) + snappy_literal(b"abcd") + bytes([(3 << 2) | 2, 4, 0]),
        "ok_copy4_overlap": varint(8) + snappy_literal(b"ab") + bytes([(5 << 2) | 3, 2, 0, 0, 0]),
        "ok_long_literal": varint(len(wr)) + snappy_literal(wr),
        "ok_copy1_high_offset": varint(264) + snappy_literal(bytes(range(256)) + b"ABCD") + bytes([1 | (1 << 5), 2]),
        "bad_truncated_header": b"\x80\x80",
        "bad_header_too_long": b"\x80\x80\x80\x80\x80\x01",
        "bad_lying_bigger": varint(10) + snappy_literal(b"abc"),
        "bad_lying_smaller": varint(2) + snappy_literal(b"abc"),
        "bad_offset_zero": varint(5) + snappy_literal(b"a") + bytes([(3 << 2) | 2, 0, 0]),
        "bad_offset_far": varint(5) + snappy_literal(b"a") + bytes([(3 << 2) | 2, 9, 0]),
        "bad_truncated_literal": varint(5) + bytes([4 << 2]) + b"ab",
        "bad_truncated_copy": varint(5) + snappy_literal(b"a") + b"\x03\x01",
        "bad_impossible_length": varint(100000) + b"\x00",
        # Found by fuzz_snappy: L-1 = 0xffffffff; libsnappy 1.1.9 wraps it to 0.
        "bad_literal_len_wrap": b"\x00\xfc\xff\xff\xff\xff",
    }


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    for target, files in (("snappy", snappy_blocks()), ("write_request", write_requests()),
                          ("read_request", read_requests())):
        d = os.path.join(root, target)
        os.makedirs(d, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        print(f"{d}: {len(files)} files")


if __name__ == "__main__":
    main()
