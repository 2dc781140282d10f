#!/usr/bin/env python3
"""install.initd: etc/init.d/superd against the superd of this build, with
a temporary table (echo on a free 127.0.0.1 port), pid file and no syslog,
through start-stop-daemon when installed and through plain shell:

  status (3) / start / status (0) / the echo service answers / Debian's
  update-inetd --add and --disable on the inetd.conf the table reads,
  served and stopped with no command to superd / start again
  (same pid) / reload (same pid, still serving) / reload and restart with a
  broken table (refused with superd --check's errors, same pid, still
  serving) / restart (new pid) / stop (pid file gone, process gone, port
  closed, status 3) / stop again / reload when stopped (7), force-reload
  (0) / start with a broken table (refused with the --check message, not
  running) / a stale pid file (status 1, then start) / start on a port in
  use (fails, not running).

Every superd it starts is stopped by pid at the end, whatever happened.
"""

import argparse
import os
import shutil
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Failures, echo_roundtrip, free_port, main_guard, run, temp_dir  # noqa: E402

started = set()  # every superd pid seen, killed at the end


def is_superd(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        state = stat.rsplit(")", 1)[1].split()[0]
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip() == "superd" and state not in ("Z", "X")
    except (OSError, IndexError):
        return False


def read_pid(path):
    try:
        with open(path) as f:
            pid = int(f.read().strip())
        started.add(pid)
        return pid
    except (OSError, ValueError):
        return None


def wait_gone(pid, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not is_superd(pid):
            return True
        time.sleep(0.05)
    return False


class Script:
    def __init__(self, path, env):
        self.path, self.env = path, env

    def __call__(self, action):
        return run(["sh", self.path, action], env=self.env, timeout=60)


def served_within(port, payload, seconds, answering=True):
    """Whether port answers `payload` (or, answering=False, stops) within
    `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            ok = echo_roundtrip(port, payload) == payload
        except OSError:
            ok = False
        if ok == answering or time.monotonic() > deadline:
            return ok == answering
        time.sleep(0.1)


def check_update_inetd(t, tag, inetd_conf, services, d):
    """A package's update-inetd --add, then --disable, on the inetd.conf the
    table reads: served, then not, with no command to superd (it watches the
    file). update-inetd edits only --file and, with UPDATE_INETD_FAKE_IT,
    signals and restarts nothing on this machine."""
    update_inetd = shutil.which("update-inetd") or "/usr/sbin/update-inetd"
    if not os.access(update_inetd, os.X_OK):
        print(f"{tag} update-inetd not installed: its checks skipped")
        return
    port = free_port()
    env = dict(os.environ, UPDATE_INETD_FAKE_IT="1", DEBIAN_FRONTEND="noninteractive")
    name = f"127.0.0.1:{port}"
    line = f"{name}\tstream\ttcp\tnowait\troot\t{services}/echo\techo"
    payload = b"through inetd.conf\n"
    add = run([update_inetd, "--file", inetd_conf, "--group", "OTHER", "--add", line], env=env)
    t.equal(add.returncode, 0, f"{tag} update-inetd --add")
    t.check(served_within(port, payload, 5), f"{tag} the added entry is served by itself")
    off = run([update_inetd, "--file", inetd_conf, "--disable", name], env=env)
    t.equal(off.returncode, 0, f"{tag} update-inetd --disable")
    t.check(served_within(port, payload, 5, answering=False),
            f"{tag} the disabled entry stops by itself")


def scenario(t, mode, script_path, superd, services, work):
    """The whole sequence, with START_STOP_DAEMON as MODE says."""
    print(f"=== {mode}", flush=True)
    d = os.path.join(work, mode.replace(" ", "-"))
    os.makedirs(d)
    port = free_port()
    table = os.path.join(d, "superd.yaml")
    inetd_conf = os.path.join(d, "inetd.conf")
    with open(inetd_conf, "w") as f:
        f.write("#:OTHER: Other services\n\n")
    good = (f"shutdown_grace: 2s\n"
            f"inetd_conf: [\"{inetd_conf}\"]\n"
            f"services:\n"
            f"  echo:\n"
            f"    listen: \"127.0.0.1:{port}\"\n"
            f"    program: {services}/echo\n")
    broken = good + "  broken:\n    listen: \"127.0.0.1:0\"\n    program: relative/path\n"
    with open(table, "w") as f:
        f.write(good)
    pidfile = os.path.join(d, "superd.pid")
    env = {
        "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
        "DAEMON": superd, "CONFIG": table, "PIDFILE": pidfile,
        "SUPERD_OPTS": "", "RUNDIR": os.path.join(d, "run"),
        "SUPERD_DEFAULTS": os.path.join(d, "no-defaults"),
        "STOP_TIMEOUT": "10", "SYSTEMCTL_SKIP_REDIRECT": "1",
    }
    if mode == "plain shell":
        env["START_STOP_DAEMON"] = ""
    else:
        env["START_STOP_DAEMON"] = shutil.which("start-stop-daemon")
    sh = Script(script_path, env)
    tag = f"[{mode}]"

    t.equal(sh("status").returncode, 3, f"{tag} status before start")

    result = sh("start")
    t.equal(result.returncode, 0, f"{tag} start")
    pid = read_pid(pidfile)
    if not t.check(pid and is_superd(pid), f"{tag} the pid file names a running superd"):
        return
    t.check(os.path.isdir(env["RUNDIR"]), f"{tag} start creates RUNDIR")
    result = sh("status")
    t.equal(result.returncode, 0, f"{tag} status when running")
    t.check(str(pid) in result.stdout, f"{tag} status shows the pid")
    payload = f"hello {mode}\n".encode()
    t.equal(echo_roundtrip(port, payload), payload, f"{tag} the echo service answers")

    check_update_inetd(t, tag, inetd_conf, services, d)

    t.equal(sh("start").returncode, 0, f"{tag} start when running")
    t.equal(read_pid(pidfile), pid, f"{tag} start when running keeps the same superd")

    t.equal(sh("reload").returncode, 0, f"{tag} reload")
    time.sleep(0.3)
    t.check(is_superd(pid), f"{tag} superd still runs after reload")
    t.equal(read_pid(pidfile), pid, f"{tag} same pid after reload")
    t.equal(echo_roundtrip(port, payload), payload, f"{tag} serving after reload")
    t.equal(sh("force-reload").returncode, 0, f"{tag} force-reload")

    with open(table, "w") as f:
        f.write(broken)
    for action, word in [("reload", "reloading"), ("restart", "restarting"),
                         ("force-reload", "reloading")]:
        result = sh(action)
        t.equal(result.returncode, 6, f"{tag} {action} with a broken table exits 6")
        t.check(f"{table}:8:" in result.stderr and "error:" in result.stderr,
                f"{tag} {action} shows superd --check's FILE:LINE:COLUMN errors")
        t.check(f"has errors; not {word}" in result.stderr + result.stdout,
                f"{tag} {action} says it refuses")
        t.check(is_superd(pid) and read_pid(pidfile) == pid,
                f"{tag} {action} with a broken table leaves superd running")
    t.equal(echo_roundtrip(port, payload), payload, f"{tag} serving after refused reloads")
    with open(table, "w") as f:
        f.write(good)

    t.equal(sh("restart").returncode, 0, f"{tag} restart")
    new_pid = read_pid(pidfile)
    t.check(new_pid and new_pid != pid and is_superd(new_pid), f"{tag} restart runs a new superd")
    t.check(wait_gone(pid, 1), f"{tag} restart stopped the old superd")
    t.equal(echo_roundtrip(port, payload), payload, f"{tag} serving after restart")
    pid = new_pid

    t.equal(sh("stop").returncode, 0, f"{tag} stop")
    t.check(not is_superd(pid), f"{tag} stop returns once superd has exited")
    t.check(not os.path.exists(pidfile), f"{tag} the pid file is gone after stop")
    t.equal(sh("status").returncode, 3, f"{tag} status after stop")
    t.equal(echo_roundtrip(port, payload, timeout=1), None, f"{tag} the port is closed after stop")
    t.equal(sh("stop").returncode, 0, f"{tag} stop when stopped")
    t.equal(sh("reload").returncode, 7, f"{tag} reload when stopped")
    t.equal(sh("force-reload").returncode, 0, f"{tag} force-reload when stopped")
    t.equal(sh("try-restart").returncode, 0, f"{tag} try-restart when stopped")
    t.equal(sh("status").returncode, 3, f"{tag} try-restart did not start superd")

    with open(table, "w") as f:
        f.write(broken)
    result = sh("start")
    t.equal(result.returncode, 6, f"{tag} start with a broken table exits 6")
    t.check(f"{table}:8:" in result.stderr and "error:" in result.stderr,
            f"{tag} start shows superd --check's FILE:LINE:COLUMN errors")
    t.check("has errors; not starting" in result.stderr + result.stdout,
            f"{tag} start says it refuses")
    t.check(not os.path.exists(pidfile), f"{tag} no pid file after a refused start")
    t.equal(echo_roundtrip(port, payload, timeout=1), None, f"{tag} nothing serves after a refused start")
    with open(table, "w") as f:
        f.write(good)

    # A pid file left by a superd that died (it names this test, alive
    # but not superd): status 1, and start replaces it.
    with open(pidfile, "w") as f:
        f.write(f"{os.getpid()}\n")
    t.equal(sh("status").returncode, 1, f"{tag} status with a stale pid file")
    t.equal(sh("start").returncode, 0, f"{tag} start over a stale pid file")
    pid = read_pid(pidfile)
    t.check(pid and pid != os.getpid() and is_superd(pid), f"{tag} the new superd runs")
    t.equal(sh("stop").returncode, 0, f"{tag} stop")
    t.check(pid and not is_superd(pid), f"{tag} stopped")

    # A start that fails (the port is taken): exit 1, not running.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        result = sh("start")
        t.equal(result.returncode, 1, f"{tag} start on a port in use fails")
        t.check("Address already in use" in result.stderr,
                f"{tag} a failed start shows superd's reason")
        read_pid(pidfile)
        t.equal(sh("status").returncode, 3, f"{tag} not running after a failed start")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True)
    parser.add_argument("--superd", required=True)
    parser.add_argument("--services", required=True)
    args = parser.parse_args()
    script = os.path.join(args.source, "etc", "init.d", "superd")
    t = Failures("install.initd")
    work = temp_dir("superd-initd-")

    t.equal(run(["sh", "-n", script]).returncode, 0, "sh -n etc/init.d/superd")
    if shutil.which("shellcheck"):
        t.equal(run(["shellcheck", script]).returncode, 0, "shellcheck etc/init.d/superd")
    if shutil.which("dash"):
        t.equal(run(["dash", "-n", script]).returncode, 0, "dash -n etc/init.d/superd")

    modes = ["plain shell"]
    if shutil.which("start-stop-daemon"):
        modes.insert(0, "start-stop-daemon")
    else:
        print("start-stop-daemon not found: plain shell only")
    try:
        for mode in modes:
            scenario(t, mode, script, args.superd, args.services, work)
    finally:
        for pid in started:
            if is_superd(pid):
                print(f"cleanup: superd {pid} still running, stopping it")
                os.kill(pid, signal.SIGTERM)
                if not wait_gone(pid, 5):
                    os.kill(pid, signal.SIGKILL)
    return t.finish()


if __name__ == "__main__":
    main_guard(main)
