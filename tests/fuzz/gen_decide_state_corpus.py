#!/usr/bin/python3
"""Writes tests/fuzz/corpus/decide_state/: saved scaler decision states in the
byte format documented at the top of src/decide/state.c (the worked example,
a fresh state, a full 64-entry history, a full 336-hour floor, a state with
disabled buckets for the queue parameters of fuzz_decide_state.c, the same
kinds but the floor in the old versions 2 (*_v2.bin) and 1 (*_v1.bin) that
the decoder still reads, and one of each refusal the decoder makes).
Re-run after a format change; remove files it no longer writes."""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "decide_state")
NEVER = -(1 << 63)
NAN_F32 = struct.unpack(">f", struct.pack(">I", 0x7FC00000))[0]
NAN = struct.unpack(">d", struct.pack(">Q", 0x7FF8000000000000))[0]


def state(fp, last_eval, last_action, up, down, hist, desired=-1, floor=(NEVER, NAN, []), version=3,
          crc=True, m=None):
    """version 3 carries `floor` (hour, the open hour's low, hourly lows
    newest first, NaN for none; m stored lows, by default all of them) after the
    history; version 2 carries `desired` (the last desired count, -1: none)
    after the tokens but no floor; version 1 neither."""
    b = bytes([version]) + struct.pack(">Qqqdd", fp, last_eval, last_action, up, down)
    if version != 1:
        b += struct.pack(">i", desired)
    b += bytes([len(hist)])
    for ts, rec in hist:
        b += struct.pack(">qi", ts, rec)
    if version >= 3:
        hour, low, lows = floor
        b += struct.pack(">qdH", hour, low, len(lows) if m is None else m)
        for v in lows:
            b += struct.pack(">f", v)
    return b + struct.pack(">I", zlib.crc32(b)) if crc else b


def main():
    os.makedirs(OUT, exist_ok=True)
    t0 = 1700000000
    h0 = t0 // 3600  # 472222
    example = dict(fp=0x0102030405060708, last_eval=t0, last_action=t0 - 60, up=2.5, down=1.0,
                   hist=[(t0 - 60, 8), (t0, 5)])
    fresh = dict(fp=1, last_eval=NEVER, last_action=NEVER, up=4.0, down=1.0, hist=[])
    full = dict(fp=2, last_eval=t0 + 63, last_action=t0, up=0.0, down=0.25, hist=[(t0 + i, 100 - i) for i in range(64)])
    queue = dict(fp=3, last_eval=t0, last_action=NEVER, up=0.0, down=0.0, hist=[(t0, 0)])
    floor = (h0, 2.5, [4.5, NAN_F32, 2.25])
    files = {
        "example.bin": state(**example, desired=8, floor=floor),
        "fresh.bin": state(**fresh),
        "full.bin": state(**full, desired=100, floor=(h0, 1e6, [float(i % 50) for i in range(336)])),
        "floor_full.bin": state(**example, desired=8, floor=(h0, NAN, [1.0 + i / 8 for i in range(336)])),
        "queue_no_buckets.bin": state(**queue, desired=0),
        "version4.bin": state(4, t0, t0, 1.0, 1.0, [], version=4),
        "no_crc.bin": state(5, t0, t0, 1.0, 1.0, [(t0, 3)], desired=3, crc=False),
        "unordered.bin": state(6, t0, t0, 1.0, 1.0, [(t0 - 1, 3), (t0, 3)], desired=3),
        "too_many_tokens.bin": state(7, t0, t0, 5.0, 1.0, [], desired=3),
        "desired_above_max.bin": state(8, t0, t0, 1.0, 1.0, [], desired=101),
        "desired_never_evaluated.bin": state(9, NEVER, NEVER, 4.0, 1.0, [], desired=1),
        "floor_too_many_lows.bin": state(10, t0, t0, 1.0, 1.0, [], desired=3, floor=(h0, 1.0, [1.0] * 337)),
        "floor_m_mismatch.bin": state(11, t0, t0, 1.0, 1.0, [], desired=3, floor=(h0, 1.0, [1.0, 2.0]), m=3),
        "floor_without_hour.bin": state(12, t0, t0, 1.0, 1.0, [], desired=3, floor=(NEVER, 1.0, [])),
        "floor_after_evaluation.bin": state(13, t0, t0, 1.0, 1.0, [], desired=3, floor=(h0 + 1, 1.0, [])),
        "floor_negative_low.bin": state(14, t0, t0, 1.0, 1.0, [], desired=3, floor=(h0, 1.0, [-1.0])),
        "floor_negative_open_low.bin": state(15, t0, t0, 1.0, 1.0, [], desired=3, floor=(h0, -1.0, [])),
        "floor_last_low_none.bin": state(16, t0, t0, 1.0, 1.0, [], desired=3, floor=(h0, 1.0, [1.0, NAN_F32])),
        # version 2: no floor (decodes to the empty one)
        "example_v2.bin": state(**example, desired=8, version=2),
        "fresh_v2.bin": state(**fresh, version=2),
        "full_v2.bin": state(**full, desired=100, version=2),
        "queue_no_buckets_v2.bin": state(**queue, desired=0, version=2),
        # version 1: no last desired count either (decodes to -1)
        "example_v1.bin": state(**example, version=1),
        "fresh_v1.bin": state(**fresh, version=1),
        "full_v1.bin": state(**full, version=1),
        "queue_no_buckets_v1.bin": state(**queue, version=1),
    }
    for name, data in files.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
