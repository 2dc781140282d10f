#!/usr/bin/env python3
"""install.tree: `cmake --install` into temporary places, and the tree it
leaves there.

  1. --prefix DIR: every file present with its mode; the sample table, the
     unit and the init script name DIR's paths; the installed superd
     --check accepts the installed table (it names the real installed
     services); systemd-analyze verify accepts the units; the installed
     superd-import finds the installed sample services by itself.
  2. a second install keeps an edited superd.yaml, and refreshes the rest.
  3. DESTDIR=D --prefix /usr: the Debian layout (/etc, /lib/systemd/system,
     nothing in /usr/etc), /usr paths in the files.
  4. `make install PREFIX=P DESTDIR=D` (the top-level Makefile, without its
     build step) installs below D/P.
"""

import argparse
import os
import shutil
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Failures, main_guard, run, table_programs, temp_dir  # noqa: E402

SERVICES = ["echo", "daytime", "chargen", "discard", "time"]


def expected_files(sysconf, unitdir, prefix):
    """{path: mode} for an install with these directories."""
    files = {
        f"{prefix}/sbin/superd": 0o755,
        f"{prefix}/sbin/superd-import": 0o755,
        f"{prefix}/share/man/man8/superd.8": 0o644,
        f"{prefix}/share/man/man8/superd-import.8": 0o644,
        f"{prefix}/share/man/man5/superd.yaml.5": 0o644,
        f"{prefix}/share/man/man7/superd-services.7": 0o644,
        f"{sysconf}/superd/superd.yaml": 0o644,
        f"{sysconf}/init.d/superd": 0o755,
        f"{unitdir}/superd.service": 0o644,
        f"{unitdir}/superd.socket": 0o644,
    }
    for name in SERVICES:
        files[f"{prefix}/libexec/superd/{name}"] = 0o755
    return files


def check_tree(t, root, files, allowed_dirs):
    """Every file of FILES under ROOT with its mode; nothing else outside
    ALLOWED_DIRS."""
    for path, mode in files.items():
        full = root + path
        if not t.check(os.path.isfile(full) and not os.path.islink(full),
                       f"{full} is installed (a regular file)"):
            continue
        t.equal(oct(stat.S_IMODE(os.stat(full).st_mode)), oct(mode),
                f"mode of {full}")
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)[len(root):]
            t.check(path in files or any(path.startswith(d + "/") for d in allowed_dirs),
                    f"unexpected file installed: {root}{path}")


def check_files_name(t, root, prefix, sysconf, unitdir):
    """The table, the unit and the init script name this install's paths."""
    table = f"{root}{sysconf}/superd/superd.yaml"
    programs = table_programs(table)
    t.check(len(programs) >= len(SERVICES), f"{table} names the sample services: {programs}")
    for program in programs:
        t.check(program.startswith(f"{prefix}/libexec/superd/"),
                f"{table}: program {program} is in {prefix}/libexec/superd")
        t.check(os.access(root + program, os.X_OK),
                f"{table}: program {program} is installed and executable")
    with open(table) as f:
        text = f.read()
    if prefix != "/usr/local":
        t.check("/usr/local/libexec" not in text, f"{table} no longer names /usr/local/libexec")

    unit = f"{root}{unitdir}/superd.service"
    with open(unit) as f:
        lines = [line.strip() for line in f]
    superd, config = f"{prefix}/sbin/superd", f"{sysconf}/superd/superd.yaml"
    for line in ["Type=notify",
                 f"ExecStartPre={superd} --check -c {config}",
                 f"ExecStart={superd} -c {config}",
                 "ExecReload=/bin/kill -HUP $MAINPID",
                 "Restart=on-failure",
                 "KillMode=mixed",
                 "WantedBy=multi-user.target"]:
        t.check(line in lines, f"{unit} has the line {line}")
    t.check(not any(line.startswith("NoNewPrivileges=") for line in lines),
            f"{unit} does not set NoNewPrivileges (services may run setuid programs)")
    t.check(any(line.startswith("TimeoutStopSec=") for line in lines),
            f"{unit} sets TimeoutStopSec")

    script = f"{root}{sysconf}/init.d/superd"
    with open(script) as f:
        text = f.read()
    t.check(f': "${{DAEMON:={superd}}}"' in text, f"{script}: DAEMON defaults to {superd}")
    t.check(f': "${{CONFIG:={config}}}"' in text, f"{script}: CONFIG defaults to {config}")
    t.equal(run(["sh", "-n", script]).returncode, 0, f"sh -n {script}")


def check_import(t, prefix, work):
    """xinetd's INTERNAL echo, imported by the installed superd-import,
    runs the sample echo installed beside it, and superd takes the table."""
    conf = os.path.join(work, "echo.xinetd")
    with open(conf, "w") as f:
        f.write("service echo\n{\n type = INTERNAL\n socket_type = stream\n"
                " wait = no\n port = 7\n}\n")
    result = run([f"{prefix}/sbin/superd-import", conf])
    t.equal(result.returncode, 0, "the installed superd-import converts an xinetd file")
    t.check(f"program: {prefix}/libexec/superd/echo\n" in result.stdout,
            f"superd-import names {prefix}/libexec/superd/echo for xinetd's INTERNAL echo")
    table = os.path.join(work, "imported.yaml")
    with open(table, "w") as f:
        f.write(result.stdout)
    t.equal(run([f"{prefix}/sbin/superd", "--check", "-c", table]).returncode, 0,
            "the installed superd --check accepts the imported table")


def prefix_install(t, build, work):
    """1 and 2."""
    prefix = os.path.join(work, "prefix")
    t.equal(run(["cmake", "--install", build, "--prefix", prefix]).returncode, 0,
            "cmake --install --prefix")
    sysconf, unitdir = f"{prefix}/etc", f"{prefix}/lib/systemd/system"
    check_tree(t, "", expected_files(sysconf, unitdir, prefix),
               [f"{prefix}/share/man"])
    check_files_name(t, "", prefix, sysconf, unitdir)

    table = f"{sysconf}/superd/superd.yaml"
    result = run([f"{prefix}/sbin/superd", "--check", "-c", table])
    t.equal(result.returncode, 0, "the installed superd --check accepts the installed table")

    check_import(t, prefix, work)

    analyze = shutil.which("systemd-analyze")
    if analyze:
        result = run([analyze, "verify", "--man=no",
                      f"{unitdir}/superd.service", f"{unitdir}/superd.socket"])
        t.equal(result.returncode, 0, "systemd-analyze verify of the installed units")
        t.equal(result.stderr.strip(), "", "systemd-analyze verify says nothing")
    else:
        print("systemd-analyze not found: units not verified")

    # 2. An administrator's table survives a second install; the init
    # script and the units are brought back to the installed version.
    edited = open(table).read() + "# edited by the administrator\n"
    with open(table, "w") as f:
        f.write(edited)
    unit = f"{unitdir}/superd.service"
    with open(unit, "a") as f:
        f.write("# local junk\n")
    result = run(["cmake", "--install", build, "--prefix", prefix])
    t.equal(result.returncode, 0, "second cmake --install")
    t.equal(open(table).read(), edited, "the edited table is kept by a second install")
    t.check("Keeping existing" in result.stdout, "the second install says it keeps the table")
    t.check("# local junk" not in open(unit).read(), "the unit is reinstalled")
    os.remove(table)
    t.equal(run(["cmake", "--install", build, "--prefix", prefix]).returncode, 0,
            "third cmake --install")
    t.check(os.path.isfile(table) and "# edited" not in open(table).read(),
            "a removed table is installed again")


def destdir_install(t, build, work):
    """3."""
    dest = os.path.join(work, "dest")
    env = dict(os.environ, DESTDIR=dest)
    t.equal(run(["cmake", "--install", build, "--prefix", "/usr"], env=env).returncode, 0,
            "DESTDIR=... cmake --install --prefix /usr")
    check_tree(t, dest, expected_files("/etc", "/lib/systemd/system", "/usr"),
               ["/usr/share/man"])
    t.check(not os.path.exists(f"{dest}/usr/etc"), "nothing in /usr/etc")
    check_files_name(t, dest, "/usr", "/etc", "/lib/systemd/system")

    # The table, with its programs looked up under DESTDIR, passes --check.
    table = f"{dest}/etc/superd/superd.yaml"
    moved = os.path.join(work, "destdir-table.yaml")
    with open(table) as f, open(moved, "w") as out:
        out.write(f.read().replace("/usr/libexec/superd/", f"{dest}/usr/libexec/superd/"))
    t.equal(run([f"{dest}/usr/sbin/superd", "--check", "-c", moved]).returncode, 0,
            "superd --check accepts the /usr table (programs under DESTDIR)")


def make_install(t, source, build, work):
    """4."""
    dest = os.path.join(work, "make-dest")
    prefix = "/opt/superd-test"
    result = run(["make", "-C", source, "-o", "build", "install", f"BUILD={build}",
                  f"PREFIX={prefix}", f"DESTDIR={dest}"])
    t.equal(result.returncode, 0, "make install PREFIX=... DESTDIR=...")
    check_tree(t, dest, expected_files(f"{prefix}/etc", f"{prefix}/lib/systemd/system", prefix),
               [f"{prefix}/share/man"])
    check_files_name(t, dest, prefix, f"{prefix}/etc", f"{prefix}/lib/systemd/system")
    t.check(not os.path.exists(prefix), f"make install wrote nothing to {prefix} itself")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True)
    parser.add_argument("--build", required=True)
    args = parser.parse_args()
    t = Failures("install.tree")
    work = temp_dir("superd-install-")
    prefix_install(t, args.build, work)
    destdir_install(t, args.build, work)
    if shutil.which("make"):
        make_install(t, args.source, args.build, work)
    return t.finish()


if __name__ == "__main__":
    main_guard(main)
