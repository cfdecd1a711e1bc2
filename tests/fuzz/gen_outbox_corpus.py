#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_outbox (run once; output checked in).

    tests/fuzz/gen_outbox_corpus.py [tests/fuzz/corpus/outbox]

Each file is one mode byte (0x00 record value, 0x01 key) followed by the
bytes. Names start with ok_ (decodes, and re-encodes to the same bytes) or
bad_ (refused). The encoder here is written from the byte table at the top
of storage/outbox.c, independently of the C code, so the seeds cross-check
it (tests/unit/storage/test_outbox.c checks the worked example itself).
"""
import os
import struct
import sys


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def zz(v):
    return ((v << 1) ^ (v >> 63)) & ((1 << 64) - 1)


def key(labels):
    return b"".join(n + b"\xff" + v + b"\xff" for n, v in sorted(labels))


def record(series):
    """series: [(key bytes, [(ts, value bits)])]"""
    out = bytearray(b"\x01")
    out += varint(len(series))
    out += varint(sum(len(s) for _, s in series))
    prev, prev_ts = b"", 0
    for i, (k, samples) in enumerate(series):
        shared = 0
        if i > 0:
            while shared < min(len(k), len(prev)) and k[shared] == prev[shared]:
                shared += 1
        out += varint(shared) + varint(len(k) - shared) + k[shared:]
        out += varint(len(samples))
        for ts, bits in samples:
            out += varint(zz(ts - prev_ts)) + struct.pack(">Q", bits)
            prev_ts = ts
        prev = k
    return bytes(out)


STALE = 0x7FF0000000000002
HALF = 0x3FE0000000000000
T0 = 1700000000000


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "outbox")
    os.makedirs(d, exist_ok=True)
    k1 = key([(b"__name__", b"ai_cpu_forecast"), (b"horizon", b"1h")])
    k4 = key([(b"__name__", b"ai_cpu_forecast"), (b"horizon", b"4h")])
    ex = record([(k1, [(T0, HALF)]), (k4, [(T0, STALE)])])
    many = record([
        (key([(b"__name__", b"ai_scaling_desired_replicas"), (b"scaler", b"web")]), [(T0, 0x4010000000000000)]),
        (key([(b"__name__", b"ai_scaling_desired_replicas"), (b"scaler", b"worker")]),
         [(T0 - 60000, 0x4000000000000000), (T0, 0x8000000000000000)]),
        (key([(b"__name__", b"ai_web_forecast_lower"), (b"horizon", b"15m"), (b"interval", b"80")]),
         [(-5, 0x7FF8000000000001), (-1, 0xFFF0000000000000), (2**62, 1)]),
    ])
    same = record([(k1, [(T0, HALF)]), (k1, [(T0 + 1, HALF)])])
    files = {
        "ok_example": b"\x00" + ex,
        "ok_many": b"\x00" + many,
        "ok_same_key": b"\x00" + same,
        "bad_version": b"\x00\x02" + ex[1:],
        "bad_trailing": b"\x00" + ex + b"\x00",
        "bad_truncated": b"\x00" + ex[:-3],
        "bad_total": b"\x00" + ex[:2] + b"\x03" + ex[3:],
        # The second series says it shares 32 bytes where it shares 33.
        "bad_noncanonical_shared": b"\x00" + ex[:56] + bytes([0x20, 0x04]) + k4[32:] + ex[61:],
        "ok_key": b"\x01" + bytes.fromhex("8572950e3537b22f0000000000000001"),
        "bad_key_short": b"\x01" + bytes.fromhex("8572950e3537b22f00000000000001"),
    }
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
