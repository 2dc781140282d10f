"""Shared by the install tests (tests/install/CMakeLists.txt)."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77  # SKIP_RETURN_CODE of the tests


class Failures:
    """Collects failed checks; the test fails at the end if any did."""

    def __init__(self, name):
        self.name = name
        self.failed = []

    def check(self, condition, message):
        if not condition:
            self.failed.append(message)
            print(f"FAIL: {message}", flush=True)
        return bool(condition)

    def equal(self, actual, expected, message):
        return self.check(actual == expected,
                          f"{message}: got {actual!r}, expected {expected!r}")

    def finish(self):
        if self.failed:
            print(f"{self.name}: {len(self.failed)} check(s) failed")
            return 1
        print(f"{self.name}: every check passed")
        return 0


def run(args, env=None, timeout=60, cwd=None, check=False):
    """Runs ARGS; returns the CompletedProcess with text stdout/stderr."""
    shown = " ".join(str(a) for a in args)
    print(f"$ {shown}", flush=True)
    result = subprocess.run([str(a) for a in args], env=env, cwd=cwd,
                            capture_output=True, text=True, timeout=timeout)
    for stream in (result.stdout, result.stderr):
        if stream.strip():
            print("  " + stream.rstrip().replace("\n", "\n  "), flush=True)
    if result.returncode != 0:
        print(f"  (exit {result.returncode})", flush=True)
    if check and result.returncode != 0:
        raise SystemExit(f"{shown}: exit {result.returncode}")
    return result


def temp_dir(prefix):
    """A fresh directory, removed at exit unless KEEP_TEST_DIRS is set."""
    path = tempfile.mkdtemp(prefix=prefix)
    if not os.environ.get("KEEP_TEST_DIRS"):
        import atexit
        atexit.register(shutil.rmtree, path, True)
    return path


def free_port():
    """A tcp port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def echo_roundtrip(port, payload=b"superd install test\n", timeout=5.0):
    """What the echo service at PORT sends back for PAYLOAD (None: refused)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            data = b""
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return data
    except OSError as e:
        print(f"  connect 127.0.0.1:{port}: {e}", flush=True)
        return None


def table_programs(path):
    """The `program:` values of a table, with the `disabled: true` ones
    left out (a crude reader for the sample table's layout: two-space
    indented service names, four-space keys)."""
    programs, service, disabled = [], None, set()
    entries = {}
    with open(path) as f:
        for line in f:
            stripped = line.split("#", 1)[0].rstrip()
            if not stripped:
                continue
            if line.startswith("  ") and not line.startswith("   ") and stripped.endswith(":"):
                service = stripped.strip()[:-1]
            elif line.startswith("    ") and service:
                key, _, value = stripped.strip().partition(":")
                value = value.strip().strip('"')
                if key == "program":
                    entries[service] = value
                elif key == "disabled" and value == "true":
                    disabled.add(service)
    for service, program in entries.items():
        if service not in disabled:
            programs.append(program)
    return programs


def main_guard(function):
    try:
        sys.exit(function())
    except subprocess.TimeoutExpired as e:
        print(f"FAIL: timed out: {e}")
        sys.exit(1)
