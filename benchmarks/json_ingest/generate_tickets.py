#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the NDJSON ticket file of issue #12 to stdout (deterministic: a fixed seed).

  generate_tickets.py [COUNT]   (default 1,000,000 lines)

Each line: {"movie":"m654","amountPaid":6.5,"ts":{"$date":"2024-06-01T20:00:00.000Z"}}:
1,000 movies, event time in order at 10,000 events/s (10 events per millisecond) from
2024-06-01T20:00:00Z.
"""
import random
import sys

count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
rng = random.Random(12)
prices = ["6.5", "8", "9.25", "10.5", "12", "12.5", "14.75"]
out = sys.stdout
lines = []
for i in range(count):
    ms = i // 10
    second = ms // 1000
    stamp = "2024-06-01T%02d:%02d:%02d.%03dZ" % (
        20 + second // 3600, second // 60 % 60, second % 60, ms % 1000)
    lines.append('{"movie":"m%d","amountPaid":%s,"ts":{"$date":"%s"}}\n'
                 % (rng.randrange(1000), prices[rng.randrange(len(prices))], stamp))
    if len(lines) == 10000:
        out.write("".join(lines))
        lines.clear()
out.write("".join(lines))
