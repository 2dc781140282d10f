#!/usr/bin/env python3
"""install.deb: builds the .deb of this build tree (cpack -G DEB, as `make
package` does) into OUT, emptied first, for the tests that read or install
it (install.lintian, install.system: the ctest fixture superd_deb).
"""

import argparse
import glob
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import SKIP, main_guard, run  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if not shutil.which("cpack") or not shutil.which("dpkg-deb"):
        print("cpack or dpkg-deb not found: skipped")
        return SKIP
    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)
    result = run(["cpack", "-G", "DEB", "--config",
                  os.path.join(args.build, "CPackConfig.cmake"), "-B", args.out], timeout=300)
    shutil.rmtree(os.path.join(args.out, "_CPack_Packages"), ignore_errors=True)
    debs = glob.glob(os.path.join(args.out, "*.deb"))
    if result.returncode != 0 or len(debs) != 1:
        print(f"FAIL: cpack -G DEB: exit {result.returncode}, packages {debs}")
        return 1
    print(f"built {debs[0]}")
    return 0


if __name__ == "__main__":
    main_guard(main)
