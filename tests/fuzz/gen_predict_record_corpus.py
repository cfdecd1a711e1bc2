#!/usr/bin/python3
"""Writes tests/fuzz/corpus/predict_record/: saved forecast groups in the byte
format documented at the top of src/predict/record.c (the worked example,
records with horizons and a pending 1-step forecast, and records around the
real current-version model blobs of corpus/model_blob/, not its v1_* seeds),
in version 2, plus one version-1 record (v1_horizons.rec) for the upgrade
path. Re-run after a format change of either."""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "predict_record")
NAN = bytes.fromhex("7ff8000000000000")


def ring(values):
    return b"".join(struct.pack(">d", x) for x in list(values) + [0.0] * (64 - len(values)))


def record(fp, last_final, last_emit, key, horizons, one, anomaly, model, version=2):
    """horizons: (k, [(|y - yhat|, |y|), ...], head, pending); version 1
    stores the percentage errors |y - yhat| / |y| instead of the two arrays."""
    b = bytes([version]) + struct.pack(">QqqI", fp, last_final, last_emit, len(key)) + key
    b += bytes([len(horizons)])
    for k, window, head, pending in horizons:
        b += struct.pack(">IHH", k, len(window), head)
        if version == 1:
            b += ring([e / y for e, y in window])
        else:
            b += ring([e for e, _ in window]) + ring([y for _, y in window])
        for tgt, val in pending:
            b += struct.pack(">qd", tgt, val)
    if one is None:
        b += bytes([0])
    else:
        b += bytes([1]) + struct.pack(">qddd", *one)
    b += anomaly if isinstance(anomaly, bytes) else struct.pack(">d", anomaly)
    b += struct.pack(">I", len(model)) + model
    return b + struct.pack(">I", zlib.crc32(b))


def main():
    os.makedirs(OUT, exist_ok=True)
    files = {
        "example.rec": record(0x0102030405060708, 1700000000, 1700000060000, b"job\xffweb\xff", [], None, NAN,
                              bytes.fromhex("aabbcc")),
    }
    horizons = [
        (3, [(1.0, 10.0), (2.0, 10.0), (0.5, 10.0)], 3, [(-(1 << 63), 0.0), (1700000120, 12.5), (1700000180, 13.0)]),
        (1, [(5.0, 10.0)], 1, [(1700000060, -0.0)]),
    ]
    for name, version in (("horizons.rec", 2), ("v1_horizons.rec", 1)):
        files[name] = record(42, 1700000000, 1700000060000, b"", horizons, (1700000060, 1.5, 1.0, 2.0), 3.25, b"",
                             version)
    mdir = os.path.join(HERE, "corpus", "model_blob")
    for name in sorted(os.listdir(mdir)):
        if not name.endswith(".blob") or name.startswith(("fresh", "v1_")):
            continue
        with open(os.path.join(mdir, name), "rb") as f:
            model = f.read()
        files[name.replace(".blob", ".rec")] = record(7, 1700000000, 1700003600, b"instance\xffa\xffjob\xffx\xff", [
            (2, [(1.0, 100.0)] * 64, 5, [(1700000060, 99.0), (1700000120, 101.0)]),
        ], (1700000060, 100.0, 95.0, 105.0), 0.7, model)
    for name, data in files.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("wrote %d files to %s" % (len(files), OUT))


if __name__ == "__main__":
    main()
