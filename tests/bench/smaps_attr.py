#!/usr/bin/python3
"""Where a process' resident memory is, by kind of mapping.

    tests/bench/smaps_attr.py SMAPS_FILE    (e.g. from SMAPS=FILE ingest_bench.sh)
    tests/bench/smaps_attr.py /proc/PID/smaps

Prints resident kB per kind, largest first, with the number of mappings and
their virtual size:
  data.mdb / lock.mdb  the LMDB map (page cache) and its reader table
  [heap]               glibc's main arena (brk)
  malloc arena         a glibc per-thread arena: an anonymous rw mapping at a
                       64 MiB boundary, followed by its PROT_NONE reserve
                       (64 MiB in all)
  thread stack         an anonymous rw mapping right after a PROT_NONE guard
                       of at most 64 KiB (pthread stacks)
  lib:NAME / exe       file-backed text and data
  other anon           anything else anonymous (e.g. blocks glibc mmaps)
"""
import re
import signal
import sys

ARENA = 64 << 20


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under `| head`
    maps = []
    cur = None
    with open(sys.argv[1]) as f:
        for line in f:
            m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$", line)
            if m:
                cur = {"lo": int(m[1], 16), "hi": int(m[2], 16), "perm": m[3], "path": m[4].strip(), "rss": 0}
                maps.append(cur)
            elif line.startswith("Rss:") and cur is not None:
                cur["rss"] = int(line.split()[1])
    out = {}
    for i, mp in enumerate(maps):
        p = mp["path"]
        if p.endswith("data.mdb"):
            kind = "data.mdb"
        elif p.endswith("lock.mdb"):
            kind = "lock.mdb"
        elif p == "[heap]":
            kind = "[heap] (main arena)"
        elif p == "[stack]":
            kind = "main thread stack"
        elif p.startswith("["):
            kind = p
        elif ".so" in p:
            kind = "lib:" + re.sub(r"\.so.*", "", p.rsplit("/", 1)[-1])
        elif p:
            kind = "exe"
        elif mp["perm"].startswith("---"):
            kind = "reserve (PROT_NONE)"
        else:
            nxt = maps[i + 1] if i + 1 < len(maps) else None
            prv = maps[i - 1] if i > 0 else None
            if mp["lo"] % ARENA == 0 and (
                mp["hi"] - mp["lo"] == ARENA
                or (nxt and not nxt["path"] and nxt["perm"].startswith("---") and nxt["lo"] == mp["hi"]
                    and nxt["hi"] - mp["lo"] == ARENA)):
                kind = "malloc arena"
            elif prv and not prv["path"] and prv["perm"].startswith("---") and prv["hi"] == mp["lo"] \
                    and prv["hi"] - prv["lo"] <= 64 << 10:
                kind = "thread stack"
            else:
                kind = "other anon"
        o = out.setdefault(kind, [0, 0, 0])
        o[0] += mp["rss"]
        o[1] += 1
        o[2] += (mp["hi"] - mp["lo"]) >> 10
    for k, (rss, n, v) in sorted(out.items(), key=lambda kv: -kv[1][0]):
        print(f"{rss:9d} kB  {n:4d} maps  {v:10d} kB virt  {k}")
    libs = sum(o[0] for k, o in out.items() if k.startswith("lib:"))
    print(f"{libs:9d} kB  all shared libraries")
    total = sum(o[0] for o in out.values())
    excl = total - out.get("data.mdb", [0])[0]
    print(f"{total:9d} kB  total resident, {excl} kB excluding data.mdb")


if __name__ == "__main__":
    main()
