#!/usr/bin/env python3
"""install.system: the .deb on a real Debian 12 booted with systemd as PID 1,
installed with apt, beside real packages from Debian.

A minbase bookworm root is built once with mmdebstrap and cached
(SUPERD_SYSTEM_CACHE, default /var/cache/superd-tests; a new one when the
archive or the package list changes); every run boots a throwaway copy of it
with systemd-nspawn --ephemeral, in cgroups of its own, sharing the host's
network (apt fetches from the archive the host's apt uses; what superd binds
in it are the host's ports). Then, inside:

  1. apt-get install the .deb: Depends resolved from Debian; postinst
     creates /etc/inetd.conf with Debian's section headers and starts
     superd; the echo of the shipped table answers on its port.
  2. systemctl stop / start (Type=notify): the port closes and reopens.
  3. systemctl reload: a good table keeps the same process; a broken one
     makes the reload fail, superd keeps serving, and the journal holds
     FILE:LINE:COLUMN; a SIGHUP straight to superd with that table is
     refused by superd itself, logged the same way.
  4. socket activation: with superd.service stopped and superd.socket
     started, a connection starts superd, which adopts the sockets.
  5. apt-get install nullidentd (Depends: openbsd-inetd | inet-superserver):
     no other super-server comes with it, and update-inetd puts its entry
     under "#:INFO:" in /etc/inetd.conf. Then, if the packaged superd
     reads inetd.conf (the table key inetd_conf; else these checks are
     skipped, saying so): port 113 answers an ident query through superd;
     update-inetd --disable ident closes it and --enable reopens it, each
     within a few seconds, with no command to superd (same process).
  6. apt-get purge nullidentd, then superd: /etc/inetd.conf, now without
     entries, is removed; nothing listens any more. /run/inetd.pid never
     appears.
  7. apt-get install openbsd-inetd, then the .deb again: superd's
     Conflicts removes openbsd-inetd, its /etc/inetd.conf stays as it was,
     and superd serves.

Skipped (exit 77, with the reason) without root, the tools (mmdebstrap,
systemd-nspawn, nsenter), a writable cgroup tree, the archive, free host
ports (7, 9, 13, 19, 37 on 127.0.0.1 and 113), or when the container does
not boot. The container and its cgroup directories are removed whatever
happens (processes stopped by pid); KEEP_TEST_DIRS=1 keeps the log.
"""

import argparse
import fcntl
import glob
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import SKIP, Failures, echo_roundtrip, main_guard, run, temp_dir  # noqa: E402

SUITE = "bookworm"
# SYSTEM-TESTS.md's list: systemd as init, procps for ExecReload's kill,
# netcat for the reader, update-inetd as packages use it.
INCLUDE = ["systemd", "systemd-sysv", "dbus", "procps", "netcat-openbsd", "update-inetd"]
SAMPLE_PORTS = [7, 9, 13, 19, 37]  # the shipped table and superd.socket, 127.0.0.1
IDENT_PORT = 113
CGROUP_PREFIX = "superd-test-"
INETD_HEADERS = [
    "#:INTERNAL: Internal services",
    "#:STANDARD: These are standard services.",
    "#:BSD: Shell, login, exec and talk are BSD protocols.",
    "#:MAIL: Mail, news and uucp services.",
    "#:INFO: Info services",
    "#:BOOT: TFTP service is provided primarily for booting.  Most sites",
    "#:RPC: RPC based services",
    "#:HAM-RADIO: amateur-radio services",
    "#:OTHER: Other services",
]
SUPERSERVERS = ["openbsd-inetd", "inetutils-inetd", "xinetd", "rlinetd"]
# The most a run may take before its cleanup (which takes under a minute,
# two at worst); tests/install/CMakeLists.txt gives ctest's TIMEOUT above it.
BUDGET = 1200
# apt-get without questions nor dpkg's progress bars in the log.
APT = ["apt-get", "-y", "-q", "-o", "Dpkg::Use-Pty=0"]


class Skip(Exception):
    """The machine cannot run this test; the message says why."""


def stamp(start, what):
    print(f"--- {time.monotonic() - start:6.1f}s  {what}", flush=True)


# --- the machine ---------------------------------------------------------------

def archive_uris():
    """(main URI, security URI or None) of Debian as the host's apt has
    them, from /etc/apt/sources.list.d/*.sources (deb822) or
    /etc/apt/sources.list*: no archive's name is written here."""
    main, security = None, None
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        with open(path) as f:
            for stanza in re.split(r"\n\s*\n", f.read()):
                fields = {}
                for line in stanza.splitlines():
                    if line.startswith("#") or ":" not in line:
                        continue
                    key, _, value = line.partition(":")
                    fields[key.strip().lower()] = value.split()
                if "deb" not in fields.get("types", []) or fields.get("enabled") == ["no"]:
                    continue
                for uri in fields.get("uris", []):
                    suites = fields.get("suites", [])
                    if SUITE in suites and not main:
                        main = uri
                    if f"{SUITE}-security" in suites and not security:
                        security = uri
    for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
        if not os.path.exists(path):
            continue
        with open(path) as f:
            for line in f:
                words = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
                if len(words) >= 3 and words[0] == "deb":
                    if words[2] == SUITE and not main:
                        main = words[1]
                    if words[2] == f"{SUITE}-security" and not security:
                        security = words[1]
    if not main:
        raise Skip(f"the host's apt has no 'deb ... {SUITE}' source to build the root from")
    return main.rstrip("/"), security.rstrip("/") if security else None


def check_archive(uri):
    url = f"{uri}/dists/{SUITE}/InRelease"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=15):
            pass
    except Exception as e:  # noqa: BLE001 - any failure means no archive
        raise Skip(f"the Debian archive is not reachable ({url}: {e})")


def port_in_use(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return False
        except OSError:
            return True


def cgroup_parents():
    """Where to make the container's cgroups: the unified tree, or the
    named systemd hierarchy plus the unified one of a hybrid layout."""
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        return ["/sys/fs/cgroup"]
    parents = [p for p in ["/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"]
               if os.path.exists(os.path.join(p, "cgroup.procs"))]
    if "/sys/fs/cgroup/systemd" not in parents:
        raise Skip("no cgroup tree for systemd (/sys/fs/cgroup/systemd or a unified /sys/fs/cgroup)")
    return parents


def cgroup_pids(directory):
    pids = []
    for dirpath, _, names in os.walk(directory):
        if "cgroup.procs" in names:
            try:
                with open(os.path.join(dirpath, "cgroup.procs")) as f:
                    pids += [int(p) for p in f.read().split()]
            except OSError:
                pass
    return pids


def remove_cgroup(directory):
    """Stops every process left in DIRECTORY's tree (by pid), then removes
    its directories, deepest first. True when it is gone."""
    if not os.path.isdir(directory):
        return True
    for _ in range(50):
        pids = cgroup_pids(directory)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for dirpath, _, _ in sorted(os.walk(directory), key=lambda w: -len(w[0])):
            try:
                os.rmdir(dirpath)
            except OSError:
                pass
        if not os.path.isdir(directory):
            return True
        time.sleep(0.1)
    print(f"could not remove {directory}", flush=True)
    return False


def remove_stale_cgroups(parents):
    """Cgroups of earlier runs that were killed before their cleanup (their
    test process, whose pid the name holds, is gone)."""
    for parent in parents:
        for directory in glob.glob(os.path.join(parent, CGROUP_PREFIX + "*")):
            m = re.fullmatch(re.escape(CGROUP_PREFIX) + r"(\d+)", os.path.basename(directory))
            if m and not os.path.exists(f"/proc/{m.group(1)}"):
                print(f"removing the cgroup of an earlier run: {directory}")
                remove_cgroup(directory)


# --- the cached root -------------------------------------------------------------

def cached_root(cache, main_uri, security_uri, start):
    """The minbase root for these sources, built once. The caller holds the
    cache's lock."""
    sources = [f"deb {main_uri} {SUITE} main", f"deb {main_uri} {SUITE}-updates main"]
    if security_uri:  # else the host's apt has none either
        sources.append(f"deb {security_uri} {SUITE}-security main")
    key = hashlib.sha256("\n".join(["minbase", ",".join(INCLUDE)] + sources).encode()).hexdigest()[:12]
    root = os.path.join(cache, f"{SUITE}-{key}")
    if os.path.isfile(os.path.join(root, "usr/lib/systemd/systemd")):
        print(f"cached root: {root}")
        return root
    building = f"{root}.building"
    remove_tree(building)
    stamp(start, f"building {root} with mmdebstrap (once)")
    # The apt lists stay in the root: apt-get update inside then only
    # fetches what changed.
    result = run(["mmdebstrap", "--variant=minbase", "--include=" + ",".join(INCLUDE),
                  "--skip=cleanup/apt/lists", SUITE, building] + sources, timeout=900)
    if result.returncode != 0:
        remove_tree(building)
        raise RuntimeError("mmdebstrap failed")
    os.rename(building, root)
    stamp(start, "root built")
    # Roots for other sources or package lists are not used any more.
    for old in glob.glob(os.path.join(cache, f"{SUITE}-*")):
        if old != root:
            print(f"removing an older root: {old}")
            remove_tree(old)
    return root


def remove_tree(path):
    """rm -rf that never crosses into another file system (a /proc or /dev
    a killed mmdebstrap left mounted in its root)."""
    if os.path.lexists(path):
        subprocess.run(["rm", "-rf", "--one-file-system", path], timeout=300)


# --- the container -----------------------------------------------------------------

class Container:
    """A booted copy of ROOT: `systemd-nspawn --ephemeral -b`, in cgroups
    of its own; commands run in it through nsenter."""

    def __init__(self, root, work, parents):
        self.root = root
        self.name = f"{CGROUP_PREFIX}{os.getpid()}"
        self.cgroups = [os.path.join(p, self.name) for p in parents]
        self.log_path = os.path.join(work, "nspawn.log")
        self.nspawn = None
        self.pid1 = None
        self.copies_before = set(self._copies())

    def _copies(self):
        # --ephemeral copies ROOT to a hidden directory beside it.
        return glob.glob(os.path.join(os.path.dirname(self.root), ".#*"))

    def boot(self, timeout=120):
        for directory in self.cgroups:
            os.makedirs(directory, exist_ok=True)
        cgroups = self.cgroups

        def enter_cgroups():  # in the child, before exec
            for directory in cgroups:
                with open(os.path.join(directory, "cgroup.procs"), "w") as f:
                    f.write(str(os.getpid()))

        args = ["systemd-nspawn", "-D", self.root, "--ephemeral", "-b", "-M", self.name,
                "--register=no", "--keep-unit", "--console=read-only"]
        print("$ " + " ".join(args), flush=True)
        print(f"  its output: {self.log_path} (kept with KEEP_TEST_DIRS=1)", flush=True)
        log = open(self.log_path, "w")
        self.nspawn = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True,
                                       preexec_fn=enter_cgroups)
        log.close()
        deadline = time.monotonic() + timeout
        while self.pid1 is None:
            if self.nspawn.poll() is not None:
                raise Skip(f"systemd-nspawn exited ({self.nspawn.returncode}) before booting:\n"
                           + self.log_tail())
            if time.monotonic() > deadline:
                raise Skip("the container's systemd did not start:\n" + self.log_tail())
            self.pid1 = self._find_pid1()
            time.sleep(0.05)
        state = ""
        while state not in ("running", "degraded"):
            if self.nspawn.poll() is not None or time.monotonic() > deadline:
                raise Skip(f"the container did not boot (state {state!r}):\n" + self.log_tail())
            state = self.sh("systemctl is-system-running", quiet=True).stdout.strip()
            time.sleep(0.2)
        if state == "degraded":
            self.sh("systemctl --failed --no-legend --no-pager")

    def _find_pid1(self):
        for stat in glob.glob("/proc/[0-9]*/stat"):
            try:
                with open(stat) as f:
                    text = f.read()
            except OSError:
                continue
            comm = text[text.index("(") + 1:text.rindex(")")]
            ppid = int(text[text.rindex(")") + 2:].split()[1])
            if ppid == self.nspawn.pid and comm == "systemd":
                return int(stat.split("/")[2])
        return None

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def run(self, args, input=None, timeout=120, quiet=False):
        """ARGS inside, as root in all the container's namespaces, with a
        clean environment."""
        full = ["nsenter", "-t", str(self.pid1), "-a", "env", "-i",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "LANG=C.UTF-8", "DEBIAN_FRONTEND=noninteractive"] + args
        if quiet:
            return subprocess.run(full, input=input, capture_output=True, text=True,
                                  timeout=timeout)
        if input is not None:
            print(f"$ [{self.name}] {' '.join(args)}  (stdin: {len(input)} bytes)", flush=True)
            result = subprocess.run(full, input=input, capture_output=True, text=True,
                                    timeout=timeout)
            for stream in (result.stdout, result.stderr):
                if stream.strip():
                    print("  " + stream.rstrip().replace("\n", "\n  "), flush=True)
            return result
        print(f"[{self.name}]", end=" ")
        return run(full, timeout=timeout)

    def sh(self, script, **kwargs):
        return self.run(["sh", "-c", script], **kwargs)

    def put(self, host_path, path):
        with open(host_path, "rb") as f:
            data = f.read()
        full = ["nsenter", "-t", str(self.pid1), "-a", "sh", "-c", f"cat > {path}"]
        return subprocess.run(full, input=data, timeout=60).returncode

    def read(self, path):
        result = self.run(["cat", path], quiet=True)
        return result.stdout if result.returncode == 0 else None

    def stop(self):
        """Halts the container (SIGTERM to nspawn: systemd powers off), then
        kills by pid what is left; removes its cgroups and its copy."""
        if self.nspawn is not None and self.nspawn.poll() is None:
            self.nspawn.send_signal(signal.SIGTERM)
            try:
                self.nspawn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print("the container did not halt in 30 s: killing it", flush=True)
                if self.pid1:
                    try:  # the end of its PID 1 ends every process in it
                        os.kill(self.pid1, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                try:
                    self.nspawn.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.nspawn.kill()
                    self.nspawn.wait(timeout=10)
        for directory in self.cgroups:
            remove_cgroup(directory)
        # A copy nspawn could not remove (it was killed).
        for copy in set(self._copies()) - self.copies_before:
            print(f"removing the container's copy {copy}", flush=True)
            remove_tree(copy)


# --- the checks ---------------------------------------------------------------------

def listen_of(table_text, service):
    """The first listen address of SERVICE in a table written like the
    shipped one (two-space service names, four-space keys)."""
    current = None
    for line in table_text.splitlines():
        stripped = line.split("#", 1)[0].rstrip()
        if re.fullmatch(r"  [A-Za-z0-9_.-]+:", stripped):
            current = stripped.strip()[:-1]
        elif current == service and re.match(r"    listen:", stripped):
            value = stripped.split(":", 1)[1].strip()
            m = re.search(r'"([^"]+)"', value) or re.search(r"([^\s\[\],]+)", value)
            return m.group(1) if m else None
    return None


def host_port(address):
    m = re.fullmatch(r"(?:\[([^]]+)\]|([^:]*)):(\d+)", address or "")
    if not m:
        return None, None
    host = m.group(1) or m.group(2)
    if host in ("", "*"):
        host = "127.0.0.1"
    return host, int(m.group(3))


def echo(port, payload=b"superd system test\n"):
    return echo_roundtrip(port, payload)


def connect_refused(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=3):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


def ident_query(port=IDENT_PORT, timeout=3.0):
    """The answer of an ident server at 127.0.0.1:PORT (None: refused)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"113, 40000\r\n")
            data = b""
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and b"\n" not in data:
                chunk = s.recv(512)
                if not chunk:
                    break
                data += chunk
            return data
    except OSError:
        return None


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def main_pid(c):
    out = c.run(["systemctl", "show", "-P", "MainPID", "superd.service"], quiet=True).stdout.strip()
    return int(out) if out.isdigit() else 0


def is_active(c, unit):
    return c.run(["systemctl", "is-active", unit], quiet=True).stdout.strip()


def journal_errors(c, table):
    """The FILE:LINE:COLUMN errors about TABLE in superd.service's journal."""
    text = c.run(["journalctl", "-u", "superd.service", "--no-pager", "-o", "cat"],
                 quiet=True).stdout
    return re.findall(re.escape(table) + r":(\d+):(\d+): error: [^\n]*", text)


def check_install(t, c, start):
    stamp(start, "apt-get install the .deb")
    result = c.run(APT + ["install", "/var/tmp/superd.deb"], timeout=300)
    t.equal(result.returncode, 0, "apt-get install ./superd.deb")
    status = c.run(["dpkg-query", "-W", "-f", "${Status}", "superd"], quiet=True).stdout
    t.equal(status, "install ok installed", "superd is installed")

    conf = c.read("/etc/inetd.conf")
    if t.check(conf is not None, "postinst created /etc/inetd.conf"):
        mode = c.run(["stat", "-c", "%a %U:%G", "/etc/inetd.conf"], quiet=True).stdout.strip()
        t.equal(mode, "644 root:root", "mode of /etc/inetd.conf")
        lines = conf.splitlines()
        positions = [lines.index(h) if h in lines else -1 for h in INETD_HEADERS]
        t.check(-1 not in positions and positions == sorted(positions),
                f"/etc/inetd.conf has Debian's section headers in order: {positions}")
        t.check(not any(re.match(r"^[A-Za-z0-9[/]", line) for line in lines),
                "/etc/inetd.conf holds no entry yet")

    t.equal(is_active(c, "superd.service"), "active", "postinst started superd")
    enabled = c.run(["systemctl", "is-enabled", "superd.service"], quiet=True).stdout.strip()
    t.equal(enabled, "enabled", "postinst enabled superd.service")
    t.equal(is_active(c, "superd.socket"), "inactive", "superd.socket is not started")


def check_start_stop_reload(t, c, port, start):
    stamp(start, "systemctl stop / start")
    t.equal(c.run(["systemctl", "stop", "superd"]).returncode, 0, "systemctl stop superd")
    t.equal(is_active(c, "superd.service"), "inactive", "stopped")
    t.check(wait_for(lambda: connect_refused(port), 5), f"port {port} closed once stopped")
    t.equal(c.run(["systemctl", "start", "superd"]).returncode, 0, "systemctl start superd")
    t.equal(is_active(c, "superd.service"), "active", "systemctl start superd: active")
    payload = b"superd system test\n"
    t.equal(echo(port, payload), payload, f"echo answers on port {port} after a start")
    pid = main_pid(c)
    t.check(pid > 0, f"superd's MainPID: {pid}")

    stamp(start, "systemctl reload")
    t.equal(c.run(["systemctl", "reload", "superd"]).returncode, 0, "systemctl reload superd")
    t.equal(main_pid(c), pid, "a reload keeps the process")
    t.equal(echo(port, payload), payload, "echo answers after a reload")

    table = "/etc/superd/superd.yaml"
    text = c.read(table) or ""
    bad_line = len(text.splitlines()) + 1
    t.equal(c.sh(f"cp -p {table} /var/tmp/superd.yaml.good && "
                 f"printf 'no_such_key: 1\\n' >> {table}").returncode, 0, "break the table")
    before = len(journal_errors(c, table))
    t.check(c.run(["systemctl", "reload", "superd"]).returncode != 0,
            "systemctl reload with a broken table fails")
    t.equal(is_active(c, "superd.service"), "active", "superd still active after the failed reload")
    t.equal(main_pid(c), pid, "the same superd after the failed reload")
    t.equal(echo(port, payload), payload, "echo still answers after the failed reload")
    errors = journal_errors(c, table)
    print(f"  journal: {[f'{table}:{l}:{col}' for l, col in errors[before:]]}")
    t.check((str(bad_line), "1") in errors[before:],
            f"the journal shows {table}:{bad_line}:1: error (found {errors[before:]})")

    # Past ExecReload's check: a SIGHUP to superd itself, by its pid.
    before = len(errors)
    t.equal(c.run(["kill", "-HUP", str(pid)]).returncode, 0, "SIGHUP to superd with a broken table")
    errors = wait_for(lambda: journal_errors(c, table)[before:] or None, 10) or []
    print(f"  journal: {[f'{table}:{l}:{col}' for l, col in errors]}")
    t.check(("%d" % bad_line, "1") in errors,
            f"superd logs {table}:{bad_line}:1: error itself (found {errors})")
    t.equal(main_pid(c), pid, "the same superd after the refused SIGHUP")
    t.equal(echo(port, payload), payload, "echo still answers after the refused SIGHUP")

    t.equal(c.sh(f"cp -p /var/tmp/superd.yaml.good {table}").returncode, 0, "restore the table")
    t.equal(c.run(["systemctl", "reload", "superd"]).returncode, 0, "reload the restored table")

    stamp(start, "systemctl stop")
    t.equal(c.run(["systemctl", "stop", "superd"]).returncode, 0, "systemctl stop superd")
    t.equal(is_active(c, "superd.service"), "inactive", "stopped")
    t.check(wait_for(lambda: connect_refused(port), 5), f"port {port} closed once stopped")


def check_socket_activation(t, c, port, start):
    stamp(start, "socket activation")
    t.equal(c.run(["systemctl", "start", "superd.socket"]).returncode, 0,
            "systemctl start superd.socket")
    t.equal(is_active(c, "superd.socket"), "active", "superd.socket listening")
    t.equal(is_active(c, "superd.service"), "inactive", "superd not started before a connection")
    payload = b"activated\n"
    t.equal(echo(port, payload), payload, f"a connection to port {port} is served")
    t.equal(wait_for(lambda: is_active(c, "superd.service") == "active", 10), True,
            "the connection started superd.service")
    log = c.run(["journalctl", "-u", "superd.service", "--no-pager", "-o", "cat",
                 f"_PID={main_pid(c)}"], quiet=True).stdout
    adopted = re.findall(r"^.*adopted .*$", log, re.M)
    print("  journal: " + "\n  journal: ".join(adopted))
    t.check(any(f"127.0.0.1:{port} " in line for line in adopted),
            f"superd adopted the socket of 127.0.0.1:{port} from systemd")
    t.equal(c.run(["systemctl", "stop", "superd.socket", "superd.service"]).returncode, 0,
            "systemctl stop superd.socket superd.service")
    t.check(wait_for(lambda: connect_refused(port), 5), f"port {port} closed once both stopped")


def inetd_conf_supported(c):
    """None if the packaged superd reads inetd.conf, else why not."""
    table = c.read("/etc/superd/superd.yaml") or ""
    if re.search(r"^inetd_conf:", table, re.M):
        return None
    probe = table + "\ninetd_conf: []\n"
    c.run(["sh", "-c", "cat > /var/tmp/probe.yaml"], input=probe, quiet=True)
    result = c.run(["superd", "--check", "-c", "/var/tmp/probe.yaml"])
    if result.returncode != 0 and "inetd_conf" in result.stdout + result.stderr:
        return ("the packaged superd does not read /etc/inetd.conf yet (its --check rejects "
                "the key inetd_conf): " + (result.stdout + result.stderr).strip().splitlines()[0])
    return None


def check_inetd(t, c, start):
    stamp(start, "apt-get install nullidentd")
    t.equal(c.run(["systemctl", "start", "superd"]).returncode, 0, "systemctl start superd")
    pid = main_pid(c)
    result = c.run(APT + ["install", "nullidentd"], timeout=300)
    t.equal(result.returncode, 0, "apt-get install nullidentd")
    t.check("inetd.pid" not in result.stdout + result.stderr,
            "update-inetd found no /run/inetd.pid to complain about")
    rows = c.run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}|${Package}|${Provides}\n"],
                 quiet=True).stdout.splitlines()
    installed = {}
    for row in rows:
        status, package, provides = (row.split("|") + ["", ""])[:3]
        if status.startswith("ii"):
            installed[package] = provides
    t.check("nullidentd" in installed, "nullidentd is installed")
    t.check(not any(p in installed for p in SUPERSERVERS),
            f"no other super-server was pulled in: {[p for p in SUPERSERVERS if p in installed]}")
    providers = sorted(p for p, provides in installed.items()
                       if re.search(r"(^|,\s*)inet-superserver\b", provides))
    t.equal(providers, ["superd"], "superd is the only installed inet-superserver")

    conf = c.read("/etc/inetd.conf") or ""
    lines = conf.splitlines()
    entry = [i for i, line in enumerate(lines)
             if re.match(r"^ident\s+stream\s+tcp\s+nowait\s+nobody\s+/usr/sbin/nullidentd", line)]
    t.check(len(entry) == 1, "update-inetd added nullidentd's entry to /etc/inetd.conf")
    if entry and "#:INFO: Info services" in lines:
        t.equal(entry[0], lines.index("#:INFO: Info services") + 1,
                "the entry sits right under #:INFO: (update-inetd --group INFO)")

    why = inetd_conf_supported(c)
    if why:
        print(f"SKIPPED: ident served through superd, update-inetd --disable/--enable: {why}",
              flush=True)
        return
    stamp(start, "nullidentd through superd")
    reply = wait_for(lambda: ident_query(), 10)
    t.check(reply and b"USERID" in reply,
            f"an ident query on port {IDENT_PORT} is answered through superd: {reply!r}")
    t.equal(c.run(["update-inetd", "--disable", "ident"]).returncode, 0, "update-inetd --disable ident")
    t.check(wait_for(lambda: connect_refused(IDENT_PORT), 10),
            f"port {IDENT_PORT} closed within 10 s of --disable")
    t.equal(c.run(["update-inetd", "--enable", "ident"]).returncode, 0, "update-inetd --enable ident")
    reply = wait_for(lambda: ident_query(), 10)
    t.check(reply and b"USERID" in reply, f"answered again within 10 s of --enable: {reply!r}")
    t.equal(main_pid(c), pid, "no restart: the same superd served all of it")


def check_purge(t, c, port, start):
    stamp(start, "apt-get purge nullidentd superd")
    t.equal(c.run(APT + ["purge", "nullidentd"], timeout=300).returncode, 0,
            "apt-get purge nullidentd")
    conf = c.read("/etc/inetd.conf") or ""
    t.check("nullidentd" not in conf, "nullidentd's entry left /etc/inetd.conf")
    t.equal(c.run(APT + ["purge", "superd"], timeout=300).returncode, 0,
            "apt-get purge superd")
    t.check(c.read("/etc/inetd.conf") is None, "purge removed /etc/inetd.conf (no entry left)")
    t.check(c.run(["test", "-e", "/etc/superd"], quiet=True).returncode != 0,
            "purge removed /etc/superd")
    t.check(connect_refused(port), f"nothing listens on port {port} any more")
    t.check(c.run(["test", "-e", "/run/inetd.pid"], quiet=True).returncode != 0,
            "/run/inetd.pid never written")


def check_replaces_openbsd_inetd(t, c, port, start):
    """Conflicts: inet-superserver, for real: installing superd where
    openbsd-inetd runs removes it, and leaves its /etc/inetd.conf as it is."""
    stamp(start, "apt-get install openbsd-inetd, then the .deb")
    t.equal(c.run(APT + ["install", "openbsd-inetd"], timeout=300).returncode, 0,
            "apt-get install openbsd-inetd")
    before = c.read("/etc/inetd.conf")
    t.check(before is not None, "openbsd-inetd created its /etc/inetd.conf")
    result = c.run(APT + ["install", "/var/tmp/superd.deb"], timeout=300)
    t.equal(result.returncode, 0, "apt-get install ./superd.deb over openbsd-inetd")
    status = c.run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}", "openbsd-inetd"],
                   quiet=True).stdout.strip()
    t.check(not status.startswith("ii"), f"superd's Conflicts removed openbsd-inetd ({status!r})")
    t.equal(c.read("/etc/inetd.conf"), before, "openbsd-inetd's /etc/inetd.conf left as it was")
    t.equal(is_active(c, "superd.service"), "active", "superd started in its place")
    payload = b"after openbsd-inetd\n"
    t.equal(echo(port, payload), payload, f"echo answers on port {port}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--deb-dir", required=True, help="where install.deb put the .deb")
    args = parser.parse_args()
    start = time.monotonic()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit("hung up"))

    lock = None
    try:
        if os.geteuid() != 0:
            raise Skip("needs root (mmdebstrap, systemd-nspawn)")
        for tool in ["mmdebstrap", "systemd-nspawn", "nsenter", "dpkg-deb"]:
            if not shutil.which(tool):
                raise Skip(f"{tool} not found (make test installs mmdebstrap and systemd-container)")
        debs = glob.glob(os.path.join(args.deb_dir, "superd_*.deb"))
        if len(debs) != 1:
            print(f"FAIL: expected one superd_*.deb in {args.deb_dir}, found {debs}")
            return 1
        deb = debs[0]
        parents = cgroup_parents()
        cache = os.environ.get("SUPERD_SYSTEM_CACHE", "/var/cache/superd-tests")
        os.makedirs(cache, exist_ok=True)
        # One run at a time per cache: the root is built once, and a run
        # removes the copies a killed container left beside it.
        lock = open(os.path.join(cache, "lock"), "w")
        stamp(start, f"waiting for {cache}/lock")
        fcntl.flock(lock, fcntl.LOCK_EX)
        # What a run killed before its cleanup left: its container (still
        # holding the ports) is stopped with its cgroups.
        remove_stale_cgroups(parents)
        for copy in glob.glob(os.path.join(cache, ".#*")):
            print(f"removing a container copy an earlier run left: {copy}")
            remove_tree(copy)
        busy = [p for p in SAMPLE_PORTS + [IDENT_PORT] if port_in_use(p)]
        if busy:
            raise Skip(f"ports in use on this host (the container shares its network): {busy}")
        main_uri, security_uri = archive_uris()
        check_archive(main_uri)
    except Skip as e:
        print(f"skipped: {e}")
        if lock:
            lock.close()
        return SKIP

    work = temp_dir("superd-system-")
    t = Failures("install.system")
    container = None
    # Everything but the cleanup within BUDGET seconds, well before ctest's
    # TIMEOUT (which would kill this process and leave the container).
    signal.signal(signal.SIGALRM, lambda *_: sys.exit(f"FAIL: out of time ({BUDGET} s)"))
    signal.alarm(BUDGET)
    try:
        root = cached_root(cache, main_uri, security_uri, start)
        stamp(start, "boot")
        container = Container(root, work, parents)
        container.boot()
        stamp(start, "booted")
        c = container
        t.equal(c.put(deb, "/var/tmp/superd.deb"), 0, "copy the .deb into the container")
        if not t.equal(c.run(["apt-get", "update", "-q"], timeout=300).returncode, 0,
                       "apt-get update"):
            return t.finish()
        check_install(t, c, start)
        address = listen_of(c.read("/etc/superd/superd.yaml") or "", "echo")
        host, port = host_port(address)
        if not t.check(port, f"the shipped table's echo listens on a port: {address!r}"):
            return t.finish()
        payload = b"installed\n"
        t.equal(echo(port, payload), payload, f"echo answers on {address} once installed")
        check_start_stop_reload(t, c, port, start)
        check_socket_activation(t, c, port, start)
        check_inetd(t, c, start)
        check_purge(t, c, port, start)
        check_replaces_openbsd_inetd(t, c, port, start)
    except Skip as e:
        print(f"skipped: {e}")
        return SKIP
    finally:
        signal.alarm(0)
        if container:
            if t.failed and container.pid1 and container.nspawn.poll() is None:
                try:
                    container.run(["journalctl", "-u", "superd.service", "--no-pager", "-n", "60"],
                                  timeout=30)
                except subprocess.TimeoutExpired:
                    pass
            stamp(start, "halting the container")
            container.stop()
        stamp(start, "done")
        lock.close()
    return t.finish()


if __name__ == "__main__":
    main_guard(main)
