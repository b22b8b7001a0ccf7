#!/usr/bin/env python3
"""What `PRAGMA quick_check` (run by the store at every open) costs on a large database.

Builds a ~560 MiB SQLite file (60,000 rows of 400 words, also in an FTS5 index) in /var/tmp and
times the check with the file in the page cache and, when run as root, after dropping the cache.
Usage: scripts/bench-quick-check.py [PATH]
"""
import os
import random
import sqlite3
import string
import sys
import time

path = sys.argv[1] if len(sys.argv) > 1 else "/var/tmp/paks-quick-check.sqlite3"
if os.path.exists(path):
    os.remove(path)
db = sqlite3.connect(path)
db.execute("PRAGMA journal_mode = WAL")
db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
db.execute("CREATE VIRTUAL TABLE f USING fts5(body)")
rng = random.Random(7)
words = ["".join(rng.choices(string.ascii_lowercase, k=7)) for _ in range(5000)]
for _ in range(60):
    rows = [(" ".join(rng.choices(words, k=400)),) for _ in range(1000)]
    db.executemany("INSERT INTO t (body) VALUES (?)", rows)
    db.executemany("INSERT INTO f (body) VALUES (?)", rows)
    db.commit()
db.close()
print(f"{os.path.getsize(path) >> 20} MiB")
for cache in ("dropped", "warm"):
    if cache == "dropped":
        if os.geteuid() != 0:
            continue
        os.system("sync; echo 3 > /proc/sys/vm/drop_caches")
    db = sqlite3.connect(path)
    started = time.monotonic()
    result = db.execute("PRAGMA quick_check").fetchone()[0]
    print(f"page cache {cache}: {result}, {time.monotonic() - started:.3f} s")
    db.close()
os.remove(path)
