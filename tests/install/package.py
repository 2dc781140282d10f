#!/usr/bin/env python3
"""install.package: the .deb that `make package` builds (cpack -G DEB on
this build tree), built into a temporary directory and read back with
dpkg-deb, nothing installed:

  - its paths (dpkg-deb -c): /usr/sbin/superd, /usr/sbin/superd-import,
    /usr/libexec/superd/*,
    /etc/superd/superd.yaml, /etc/init.d/superd,
    /lib/systemd/system/superd.{service,socket}, gzipped man pages; modes
    and root ownership; nothing else;
  - its control fields (dpkg-deb -I/-f), its conffiles, its maintainer
    scripts (present, executable, sh -n, shellcheck when installed);
  - its files: the table names /usr/libexec/superd and passes the
    packaged superd --check; the unit and the init script name /usr/sbin;
  - the maintainer scripts, run with stand-ins for deb-systemd-helper,
    deb-systemd-invoke, invoke-rc.d, update-rc.d and systemctl (only those
    on PATH): the calls they make, and exit 0 with no helper at all (a
    chroot);
  - and that building it changed nothing in /etc, /lib or /usr.
"""

import argparse
import glob
import os
import re
import shutil
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import SKIP, Failures, main_guard, run, table_programs, temp_dir  # noqa: E402

SERVICES = ["echo", "daytime", "chargen", "discard", "time"]
EXPECTED = {  # path in the package: mode
    "./usr/sbin/superd": "-rwxr-xr-x",
    "./usr/sbin/superd-import": "-rwxr-xr-x",
    "./etc/superd/superd.yaml": "-rw-r--r--",
    "./etc/init.d/superd": "-rwxr-xr-x",
    "./lib/systemd/system/superd.service": "-rw-r--r--",
    "./lib/systemd/system/superd.socket": "-rw-r--r--",
    "./usr/share/man/man8/superd.8.gz": "-rw-r--r--",
    "./usr/share/man/man8/superd-import.8.gz": "-rw-r--r--",
    "./usr/share/man/man5/superd.yaml.5.gz": "-rw-r--r--",
    "./usr/share/man/man7/superd-services.7.gz": "-rw-r--r--",
}
EXPECTED.update({f"./usr/libexec/superd/{s}": "-rwxr-xr-x" for s in SERVICES})
# System paths the package would install: building it must not touch them.
SYSTEM_PATHS = ["/usr/sbin/superd", "/usr/sbin/superd-import", "/usr/libexec/superd", "/etc/superd",
                "/etc/init.d/superd", "/lib/systemd/system/superd.service",
                "/lib/systemd/system/superd.socket", "/usr/etc"]


def snapshot():
    state = {}
    for path in SYSTEM_PATHS:
        try:
            st = os.lstat(path)
            state[path] = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            state[path] = None
    return state


def check_contents(t, deb):
    listing = run(["dpkg-deb", "-c", deb])
    t.equal(listing.returncode, 0, "dpkg-deb -c")
    entries = {}
    for line in listing.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 6:
            entries[fields[5]] = (fields[0], fields[1])
    for path, mode in EXPECTED.items():
        if t.check(path in entries, f"the package holds {path}"):
            t.equal(entries[path][0], mode, f"mode of {path}")
    for path, (mode, owner) in entries.items():
        t.equal(owner, "root/root", f"owner of {path}")
        if mode.startswith("d"):
            t.check(any(p.startswith(path) for p in EXPECTED),
                    f"directory {path} leads to a file of the package")
        else:
            t.check(path in EXPECTED, f"file {path} belongs in the package")
        t.check(not path.startswith(("./usr/local", "./usr/etc", "./tmp", "./home", "./root")),
                f"{path}: no build or /usr/local path")


def check_control(t, deb, version, work):
    info = run(["dpkg-deb", "-I", deb])
    t.equal(info.returncode, 0, "dpkg-deb -I")
    fields = {}
    for name in ["Package", "Version", "Architecture", "Maintainer", "Description",
                 "Section", "Priority", "Depends", "Installed-Size"]:
        fields[name] = run(["dpkg-deb", "-f", deb, name]).stdout.strip()
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    t.equal(fields["Package"], "superd", "Package")
    t.equal(fields["Version"], f"{version}-1", "Version")
    t.equal(fields["Architecture"], arch, "Architecture")
    t.check(re.match(r"^.+ <[^ >]+@[^ >]+>$", fields["Maintainer"]),
            f"Maintainer is 'Name <address>': {fields['Maintainer']!r}")
    t.check(fields["Description"].startswith("inetd-style super-server\n "),
            "Description: a synopsis, then an extended description")
    t.check(all(len(line) <= 80 for line in fields["Description"].splitlines()),
            "Description lines fit in 80 columns")
    t.equal(fields["Section"], "net", "Section")
    t.equal(fields["Priority"], "optional", "Priority")
    depends = [d.strip().split(" ")[0] for d in fields["Depends"].split(",")]
    for pattern in [r"libc6", r"libstdc\+\+6", r"libyaml-cpp0\.[0-9]+",
                    r"libboost-program-options1\.[0-9]+\.[0-9]+", r"libsystemd0"]:
        t.check(any(re.fullmatch(pattern, d) for d in depends),
                f"Depends names {pattern}: {fields['Depends']}")

    control = os.path.join(work, "control")
    t.equal(run(["dpkg-deb", "-e", deb, control]).returncode, 0, "dpkg-deb -e")
    with open(os.path.join(control, "conffiles")) as f:
        t.equal(sorted(f.read().split()), ["/etc/init.d/superd", "/etc/superd/superd.yaml"],
                "conffiles")
    t.check(os.path.isfile(os.path.join(control, "md5sums")), "md5sums present")
    shellcheck = shutil.which("shellcheck")
    for script in ["postinst", "prerm", "postrm"]:
        path = os.path.join(control, script)
        if not t.check(os.path.isfile(path), f"maintainer script {script} present"):
            continue
        t.equal(oct(stat.S_IMODE(os.stat(path).st_mode)), "0o755", f"mode of {script}")
        t.check(open(path).readline().strip() == "#!/bin/sh", f"{script} is a /bin/sh script")
        t.equal(run(["sh", "-n", path]).returncode, 0, f"sh -n {script}")
        if shellcheck:
            t.equal(run([shellcheck, "-s", "sh", path]).returncode, 0, f"shellcheck {script}")
    return control


def check_files(t, deb, work):
    root = os.path.join(work, "root")
    t.equal(run(["dpkg-deb", "-x", deb, root]).returncode, 0, "dpkg-deb -x")
    table = f"{root}/etc/superd/superd.yaml"
    programs = table_programs(table)
    t.check(len(programs) >= len(SERVICES), f"the table names the sample services: {programs}")
    for program in programs:
        t.check(program.startswith("/usr/libexec/superd/") and os.access(root + program, os.X_OK),
                f"the table's program {program} is in /usr/libexec/superd, in the package")
    moved = os.path.join(work, "table.yaml")
    with open(table) as f, open(moved, "w") as out:
        out.write(f.read().replace("/usr/libexec/superd/", f"{root}/usr/libexec/superd/"))
    t.equal(run([f"{root}/usr/sbin/superd", "--check", "-c", moved]).returncode, 0,
            "the packaged superd --check accepts the packaged table")
    unit = open(f"{root}/lib/systemd/system/superd.service").read().splitlines()
    t.check("ExecStart=/usr/sbin/superd -c /etc/superd/superd.yaml" in unit,
            "the unit runs /usr/sbin/superd -c /etc/superd/superd.yaml")
    t.check("ExecStartPre=/usr/sbin/superd --check -c /etc/superd/superd.yaml" in unit,
            "the unit checks the table first")
    script = open(f"{root}/etc/init.d/superd").read()
    t.check(': "${DAEMON:=/usr/sbin/superd}"' in script, "the init script runs /usr/sbin/superd")
    t.check("# Provides:          superd" in script and "### END INIT INFO" in script,
            "the init script has LSB headers")


STUB = """#!/bin/sh
echo "${0##*/} $*" >>"$STUB_LOG"
if [ "${0##*/}" = deb-systemd-helper ] && [ "$1" = --quiet ] && [ "$2" = was-enabled ]; then
	exit "$STUB_WAS_ENABLED"
fi
exit 0
"""
HELPERS = ["deb-systemd-helper", "deb-systemd-invoke", "invoke-rc.d", "update-rc.d", "systemctl"]


def run_script(control, script, args, bindir, log, was_enabled=0, extra_env=None):
    if os.path.exists(log):
        os.remove(log)
    # PATH holds the stand-ins only: a real helper can never be reached.
    env = {"PATH": bindir, "STUB_LOG": log, "STUB_WAS_ENABLED": str(was_enabled)}
    env.update(extra_env or {})
    result = run(["/bin/sh", os.path.join(control, script)] + args, env=env, timeout=30)
    calls = open(log).read().splitlines() if os.path.exists(log) else []
    print("  calls: " + ("; ".join(calls) or "none"))
    return result.returncode, calls


def check_maintainer_scripts(t, control, work):
    stubs = os.path.join(work, "stubs")
    empty = os.path.join(work, "no-helpers")
    os.makedirs(stubs)
    os.makedirs(empty)
    for name in HELPERS:
        path = os.path.join(stubs, name)
        with open(path, "w") as f:
            f.write(STUB)
        os.chmod(path, 0o755)
    log = os.path.join(work, "calls.log")
    systemd = os.path.isdir("/run/systemd/system")
    sysv_script = os.access("/etc/init.d/superd", os.X_OK)
    print(f"host: systemd running: {systemd}; /etc/init.d/superd present: {sysv_script}")

    # First install: enable, and start where there is something to start with.
    rc, calls = run_script(control, "postinst", ["configure"], stubs, log, was_enabled=0)
    t.equal(rc, 0, "postinst configure")
    t.check("deb-systemd-helper enable superd.service" in calls, "postinst enables superd.service")
    t.check(not any("superd.socket" in c for c in calls), "postinst leaves superd.socket alone")
    if systemd:
        t.check("deb-systemd-invoke start superd.service" in calls, "postinst starts superd (systemd)")
    elif sysv_script:
        t.check("invoke-rc.d superd start" in calls, "postinst starts superd (SysV)")
        t.check("update-rc.d superd defaults" in calls, "postinst adds the rc links")
    else:
        t.check(not any(c.startswith(("deb-systemd-invoke", "invoke-rc.d")) for c in calls),
                "postinst starts nothing without systemd or the init script")
    # Upgrade, the administrator having disabled superd: stays disabled.
    rc, calls = run_script(control, "postinst", ["configure", "0.0.1-1"], stubs, log, was_enabled=1)
    t.equal(rc, 0, "postinst configure OLD-VERSION")
    t.check("deb-systemd-helper enable superd.service" not in calls,
            "postinst does not enable a unit the administrator disabled")
    t.check("deb-systemd-helper update-state superd.service" in calls,
            "postinst updates deb-systemd-helper's state instead")
    if systemd:
        t.check("deb-systemd-invoke restart superd.service" in calls, "postinst restarts on upgrade")
    elif sysv_script:
        t.check("invoke-rc.d superd restart" in calls, "postinst restarts on upgrade")
    # Installing into another root: nothing started or stopped.
    rc, calls = run_script(control, "postinst", ["configure"], stubs, log,
                           extra_env={"DPKG_ROOT": work})
    t.equal(rc, 0, "postinst configure with DPKG_ROOT")
    t.check(not any(c.startswith(("deb-systemd-invoke", "invoke-rc.d")) for c in calls),
            "postinst starts nothing with DPKG_ROOT")

    rc, calls = run_script(control, "prerm", ["upgrade", "0.2.0-1"], stubs, log)
    t.equal(rc, 0, "prerm upgrade")
    t.equal(calls, [], "prerm upgrade leaves superd running")
    rc, calls = run_script(control, "prerm", ["remove"], stubs, log)
    t.equal(rc, 0, "prerm remove")
    if systemd:
        t.check("deb-systemd-invoke stop superd.socket superd.service" in calls, "prerm stops superd")
    elif sysv_script:
        t.check("invoke-rc.d superd stop" in calls, "prerm stops superd")

    rc, calls = run_script(control, "postrm", ["remove"], stubs, log)
    t.equal(rc, 0, "postrm remove")
    t.check("deb-systemd-helper mask superd.service superd.socket" in calls,
            "postrm remove masks the units in deb-systemd-helper's state")
    rc, calls = run_script(control, "postrm", ["purge"], stubs, log)
    t.equal(rc, 0, "postrm purge")
    for call in ["update-rc.d superd remove",
                 "deb-systemd-helper purge superd.service superd.socket",
                 "deb-systemd-helper unmask superd.service superd.socket"]:
        t.check(call in calls, f"postrm purge: {call}")

    # A chroot without any helper: every script succeeds, doing nothing.
    for script, args in [("postinst", ["configure"]), ("postinst", ["configure", "0.0.1-1"]),
                         ("postinst", ["abort-upgrade", "0.0.1-1"]),
                         ("prerm", ["remove"]), ("prerm", ["upgrade", "0.2.0-1"]),
                         ("postrm", ["remove"]), ("postrm", ["purge"]),
                         ("postrm", ["upgrade", "0.2.0-1"])]:
        rc, _ = run_script(control, script, args, empty, log)
        t.equal(rc, 0, f"{script} {' '.join(args)} without any helper")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    parser.add_argument("--version", required=True)
    args = parser.parse_args()
    for tool in ["dpkg-deb", "dpkg", "cpack"]:
        if not shutil.which(tool):
            print(f"{tool} not found: skipped")
            return SKIP
    t = Failures("install.package")
    work = temp_dir("superd-package-")
    before = snapshot()

    out = os.path.join(work, "out")
    result = run(["cpack", "-G", "DEB", "--config", os.path.join(args.build, "CPackConfig.cmake"),
                  "-B", out], timeout=300)
    if not t.equal(result.returncode, 0, "cpack -G DEB"):
        return t.finish()
    debs = glob.glob(os.path.join(out, "*.deb"))
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True,
                          text=True).stdout.strip()
    t.equal([os.path.basename(d) for d in debs], [f"superd_{args.version}-1_{arch}.deb"],
            "one package, named as Debian does")
    if debs:
        deb = debs[0]
        check_contents(t, deb)
        control = check_control(t, deb, args.version, work)
        check_files(t, deb, work)
        check_maintainer_scripts(t, control, work)

    t.equal(snapshot(), before, "building the package changed nothing on the system")
    return t.finish()


if __name__ == "__main__":
    main_guard(main)
