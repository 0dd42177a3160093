"""Cut the first N traces out of a public XES log, byte for byte, to keep the repository small.

The cut keeps the original text of the header (extensions, globals, classifiers, log
attributes) and of the first N ``<trace>`` elements unchanged, then closes ``</log>``. Nothing is
re-serialised, so the cut is as "real" as the original: same attribute spellings, same
timestamps with their offsets, same lifecycle values. Used for ``bpic2012_2000.xes.gz``:

    python tests/data/real_logs/cut_xes.py bpic2012.xes.gz 2000 bpic2012_2000.xes.gz
"""

from __future__ import annotations

import gzip
import sys


def cut(source: str, traces: int, target: str) -> None:
    with gzip.open(source, "rt", encoding="utf-8", newline="") as f:
        text = f.read()
    pos = text.index("<trace")
    for _ in range(traces):
        end = text.index("</trace>", pos) + len("</trace>")
        nxt = text.find("<trace", end)
        pos = end if nxt == -1 else nxt
    head = text[:pos].rstrip()
    with gzip.GzipFile(target, "wb", mtime=0) as out:
        out.write((head + "\n</log>\n").encode("utf-8"))


if __name__ == "__main__":
    cut(sys.argv[1], int(sys.argv[2]), sys.argv[3])
