#!/usr/bin/env python3
"""install.lintian: lintian on the .deb (install.deb's), with every tag
shown (--display-info --pedantic). No error; no warning, info or pedantic
tag but those that packaging/README.md explains in its table of lintian
tags (rows "| `TAG` | why it stays |"). An explained tag that lintian no
longer gives is only reported, so that the table can be trimmed.
"""

import argparse
import glob
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import SKIP, Failures, main_guard, run  # noqa: E402

TABLE_HEADING = "### What lintian still says"


def explained_tags(readme):
    """The tags of the table under TABLE_HEADING in README."""
    with open(readme) as f:
        text = f.read()
    if TABLE_HEADING not in text:
        return None
    section = text.split(TABLE_HEADING, 1)[1]
    section = re.split(r"\n#{1,3} ", section, maxsplit=1)[0]
    return set(re.findall(r"^\|\s*`([a-z0-9][a-z0-9.+-]*)`\s*\|", section, re.M))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--deb-dir", required=True)
    parser.add_argument("--readme", required=True)
    args = parser.parse_args()
    if not shutil.which("lintian"):
        print("lintian not found (make test installs it): skipped")
        return SKIP
    t = Failures("install.lintian")
    debs = glob.glob(os.path.join(args.deb_dir, "superd_*.deb"))
    if not t.equal(len(debs), 1, f"one superd_*.deb in {args.deb_dir}"):
        return t.finish()
    explained = explained_tags(args.readme)
    if not t.check(explained is not None, f"{args.readme} has a table under '{TABLE_HEADING}'"):
        explained = set()
    print(f"explained in {args.readme}: {sorted(explained) or 'none'}")

    result = run(["lintian", "--display-info", "--pedantic", "--no-cfg", debs[0]], timeout=300)
    # Exit status 0, or 2 when tags were emitted: anything else is lintian's
    # own failure.
    t.check(result.returncode in (0, 2), f"lintian ran (exit {result.returncode})")
    seen = set()
    for line in result.stdout.splitlines():
        m = re.match(r"^([EWIPX]): superd(?: \w+)?: (\S+)", line)
        if not m:
            continue
        level, tag = m.groups()
        seen.add(tag)
        if level == "E":
            t.check(False, f"lintian error: {line}")
        else:
            t.check(tag in explained, f"lintian tag not explained in packaging/README.md: {line}")
    for tag in sorted(explained - seen):
        print(f"note: {tag} is explained in packaging/README.md but lintian no longer gives it")
    return t.finish()


if __name__ == "__main__":
    main_guard(main)
