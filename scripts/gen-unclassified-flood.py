#!/usr/bin/env python3
"""Write a Postfix log of bounces whose replies no rule matches, for the memory measurement in
docs/performance.md (issue 16, "Memory").

    python3 scripts/gen-unclassified-flood.py OUT_FILE [--lines 100000] [--reply-bytes 2000]
                                              [--repeated] [--seed 1]

Every reply is letters only (consonants: no rule wording, and nothing normalisation masks), so
each line is a distinct unclassified text unless --repeated gives every line the same one. The
default is the issue's case: 100,000 bounces, 221 MB. Deterministic for a given seed.
"""

import argparse
import random

CONSONANTS = "bcdfghjklmnpqrstvwxz"
LINE = (
    "Nov  2 {h:02}:{m:02}:{s:02} web1 postfix/smtp[5516]: {qid}: to=<g@example.org>, "
    "relay=mx.example.org[192.0.2.250]:25, delay=3, delays=0/0/1.5/1.5, dsn=5.0.0, "
    "status=bounced (host mx.example.org[192.0.2.250] said: 550 5.0.0 {text} "
    "(in reply to end of DATA command))\n"
)


def words(rng, size):
    """Consonant-only words (about 7 letters), `size` bytes in all."""
    text = "".join(rng.choices(CONSONANTS + " ", weights=[1] * len(CONSONANTS) + [3], k=size))
    return " ".join(text.split())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out")
    p.add_argument("--lines", type=int, default=100_000)
    p.add_argument("--reply-bytes", type=int, default=2_000)
    p.add_argument("--repeated", action="store_true", help="one reply text for every line")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    rng = random.Random(args.seed)
    same = words(rng, args.reply_bytes)
    with open(args.out, "w", encoding="ascii") as f:
        for i in range(args.lines):
            sec = i % 86_400
            text = same if args.repeated else words(rng, args.reply_bytes)
            f.write(LINE.format(h=sec // 3600, m=sec // 60 % 60, s=sec % 60,
                                qid="%010X" % (0x1000000000 + i), text=text))


if __name__ == "__main__":
    main()
