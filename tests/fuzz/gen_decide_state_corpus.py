#!/usr/bin/python3
"""Writes tests/fuzz/corpus/decide_state/: saved scaler decision states in the
byte format documented at the top of src/decide/state.c (the worked example,
a fresh state, a full 64-entry history, a state with disabled buckets for the
queue parameters of fuzz_decide_state.c, the same kinds in the old version 1
that the decoder still reads (*_v1.bin), and one of each refusal the decoder
makes). Re-run after a format change; remove files it no longer writes."""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "decide_state")
NEVER = -(1 << 63)


def state(fp, last_eval, last_action, up, down, hist, desired=-1, version=2, crc=True):
    """version 2 carries `desired` (the last desired count, -1: none) after
    the tokens; version 1 has no such field."""
    b = bytes([version]) + struct.pack(">Qqqdd", fp, last_eval, last_action, up, down)
    if version != 1:
        b += struct.pack(">i", desired)
    b += bytes([len(hist)])
    for ts, rec in hist:
        b += struct.pack(">qi", ts, rec)
    return b + struct.pack(">I", zlib.crc32(b)) if crc else b


def main():
    os.makedirs(OUT, exist_ok=True)
    t0 = 1700000000
    files = {
        "example.bin": state(0x0102030405060708, t0, t0 - 60, 2.5, 1.0, [(t0 - 60, 8), (t0, 5)], desired=8),
        "fresh.bin": state(1, NEVER, NEVER, 4.0, 1.0, []),
        "full.bin": state(2, t0 + 63, t0, 0.0, 0.25, [(t0 + i, 100 - i) for i in range(64)], desired=100),
        "queue_no_buckets.bin": state(3, t0, NEVER, 0.0, 0.0, [(t0, 0)], desired=0),
        "version3.bin": state(4, t0, t0, 1.0, 1.0, [], version=3),
        "no_crc.bin": state(5, t0, t0, 1.0, 1.0, [(t0, 3)], desired=3, crc=False),
        "unordered.bin": state(6, t0, t0, 1.0, 1.0, [(t0 - 1, 3), (t0, 3)], desired=3),
        "too_many_tokens.bin": state(7, t0, t0, 5.0, 1.0, [], desired=3),
        "desired_above_max.bin": state(8, t0, t0, 1.0, 1.0, [], desired=101),
        "desired_never_evaluated.bin": state(9, NEVER, NEVER, 4.0, 1.0, [], desired=1),
        # version 1: no last desired count (decodes to -1)
        "example_v1.bin": state(0x0102030405060708, t0, t0 - 60, 2.5, 1.0, [(t0 - 60, 8), (t0, 5)], version=1),
        "fresh_v1.bin": state(1, NEVER, NEVER, 4.0, 1.0, [], version=1),
        "full_v1.bin": state(2, t0 + 63, t0, 0.0, 0.25, [(t0 + i, 100 - i) for i in range(64)], version=1),
        "queue_no_buckets_v1.bin": state(3, t0, NEVER, 0.0, 0.0, [(t0, 0)], version=1),
    }
    for name, data in files.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
