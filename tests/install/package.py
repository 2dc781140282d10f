#!/usr/bin/env python3
"""install.package: the .deb that `make package` builds (cpack -G DEB on
this build tree), built into a temporary directory and read back with
dpkg-deb, nothing installed:

  - its paths (dpkg-deb -c): /usr/sbin/superd, /usr/sbin/superd-import,
    /usr/libexec/superd/*,
    /etc/superd/superd.yaml, /etc/init.d/superd,
    /lib/systemd/system/superd.{service,socket}, gzipped man pages,
    /usr/share/doc/superd/{copyright,changelog.Debian.gz}; modes
    and root ownership; nothing else;
  - its control fields (dpkg-deb -I/-f: a Debian super-server that
    provides and conflicts with inet-superserver and recommends
    update-inetd), its conffiles, its maintainer scripts (present,
    executable, sh -n, shellcheck when installed);
  - its files: the table names /usr/libexec/superd and passes the
    packaged superd --check; the unit and the init script name /usr/sbin;
    /usr/share/doc/superd/copyright is LICENSE in DEP-5 form and
    changelog.Debian.gz (gzip -9n) starts with this version;
  - the maintainer scripts, run with stand-ins for deb-systemd-helper,
    deb-systemd-invoke, invoke-rc.d, update-rc.d and systemctl (only those
    on PATH): the calls they make, and exit 0 with no helper at all (a
    chroot). They run in a mount namespace of their own where /etc is an
    overlay whose changes land in a temporary directory: the real /etc is
    never written (without such a namespace they are not run);
  - /etc/inetd.conf, in a throwaway root (DPKG_ROOT): postinst creates it
    with Debian's section headers, byte for byte, when it is missing and
    leaves it alone when it is there; postrm purge removes it only when
    it holds no entry (openbsd-inetd's rule), remove never;
  - and that building it and running its scripts changed nothing in /etc,
    /lib, /run or /usr.
"""

import argparse
import glob
import gzip
import os
import re
import shlex
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
    "./usr/share/doc/superd/copyright": "-rw-r--r--",
    "./usr/share/doc/superd/changelog.Debian.gz": "-rw-r--r--",
}
EXPECTED.update({f"./usr/libexec/superd/{s}": "-rwxr-xr-x" for s in SERVICES})
# Directories the package holds empty: the sample table's drop-ins.
EXPECTED_DIRS = {"./etc/superd/conf.d/": "drwxr-xr-x"}
# System paths the package would install: building it must not touch them.
SYSTEM_PATHS = ["/usr/sbin/superd", "/usr/sbin/superd-import", "/usr/libexec/superd", "/etc/superd",
                "/etc/init.d/superd", "/lib/systemd/system/superd.service",
                "/lib/systemd/system/superd.socket", "/usr/etc", "/etc/inetd.conf",
                "/etc/inetd.conf.superd-new", "/run/inetd.pid"]


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
    for path, mode in {**EXPECTED, **EXPECTED_DIRS}.items():
        if t.check(path in entries, f"the package holds {path}"):
            t.equal(entries[path][0], mode, f"mode of {path}")
    for path, (mode, owner) in entries.items():
        t.equal(owner, "root/root", f"owner of {path}")
        if mode.startswith("d"):
            t.check(any(p.startswith(path) for p in EXPECTED) or path in EXPECTED_DIRS,
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
                 "Section", "Priority", "Depends", "Installed-Size", "Provides",
                 "Conflicts", "Recommends"]:
        fields[name] = run(["dpkg-deb", "-f", deb, name]).stdout.strip()
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    t.equal(fields["Package"], "superd", "Package")
    t.equal(fields["Version"], f"{version}-1", "Version")
    t.equal(fields["Architecture"], arch, "Architecture")
    t.check(re.match(r"^.+ <[^ >]+@[^ >]+\.[a-z]+>$", fields["Maintainer"]),
            f"Maintainer is 'Name <address>' with a real host: {fields['Maintainer']!r}")
    # A Debian super-server (packaging/README.md).
    t.equal(fields["Provides"], "inet-superserver", "Provides")
    t.equal(fields["Conflicts"], "inet-superserver", "Conflicts")
    t.equal(fields["Recommends"], "update-inetd", "Recommends")
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


def check_docs(t, root, source, version):
    """copyright: DEP-5, holding LICENSE; changelog.Debian.gz: gzip -9n,
    a Debian changelog whose first entry is VERSION-1."""
    doc = f"{root}/usr/share/doc/superd"
    with open(os.path.join(source, "LICENSE")) as f:
        license_text = f.read()
    holder = re.search(r"^Copyright \(c\) (.+)$", license_text, re.M)
    try:
        copyright_text = open(f"{doc}/copyright").read()
    except OSError as e:
        t.check(False, f"copyright: {e}")
        copyright_text = ""
    paragraphs = [p for p in re.split(r"\n\n+", copyright_text.strip())]
    t.check(paragraphs and paragraphs[0].startswith(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"),
        "copyright is machine-readable (DEP-5 Format: header)")
    t.check(paragraphs and "\nUpstream-Name: superd" in paragraphs[0], "copyright: Upstream-Name")
    files = [p for p in paragraphs if p.startswith("Files: *\n")]
    t.check(files and holder and f"\nCopyright: {holder.group(1)}\n" in files[0] + "\n"
            and "\nLicense: ISC" in files[0],
            "copyright: Files: * with LICENSE's holder, License: ISC")
    licence = [p for p in paragraphs if p.startswith("License: ISC\n")]
    if t.check(len(licence) == 1, "copyright: a License: ISC paragraph with the text"):
        body = [line[1:] for line in licence[0].splitlines()[1:]]
        body = ["" if line == "." else line for line in body]
        after_holder = license_text.split(holder.group(0), 1)[1].strip() if holder else ""
        t.equal("\n".join(body), after_holder, "copyright: the licence text is LICENSE's")

    path = f"{doc}/changelog.Debian.gz"
    if not t.check(os.path.isfile(path), "changelog.Debian.gz present"):
        return
    raw = open(path, "rb").read()
    t.check(raw[:2] == b"\x1f\x8b" and raw[3] & 0x08 == 0 and raw[4:8] == b"\0\0\0\0",
            "changelog.Debian.gz is gzip -n (no name, no time stamp)")
    t.equal(raw[8], 2, "changelog.Debian.gz is gzip -9")
    text = gzip.decompress(raw).decode()
    first = text.splitlines()[0] if text else ""
    t.check(re.match(rf"^superd \({re.escape(version)}-1\) [a-z-]+; urgency=[a-z]+$", first),
            f"the changelog's first entry is superd ({version}-1): {first!r}")
    t.check(re.search(r"^ -- .+ <[^>]+@[^>]+>  [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} "
                      r"\d{2}:\d{2}:\d{2} [+-]\d{4}$", text, re.M),
            "the changelog entry ends with ' -- NAME <ADDRESS>  DATE'")
    with open(os.path.join(source, "packaging", "debian", "changelog")) as f:
        t.equal(text, f.read(), "changelog.Debian.gz is packaging/debian/changelog")


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
    return root


STUB = """#!/bin/sh
echo "${0##*/} $*" >>"$STUB_LOG"
if [ "${0##*/}" = deb-systemd-helper ] && [ "$1" = --quiet ] && [ "$2" = was-enabled ]; then
	exit "$STUB_WAS_ENABLED"
fi
exit 0
"""
HELPERS = ["deb-systemd-helper", "deb-systemd-invoke", "invoke-rc.d", "update-rc.d", "systemctl"]
# What the scripts use besides the helpers: Essential packages, present in
# any chroot.
ESSENTIAL = ["cat", "chmod", "mv", "rm", "grep"]

# openbsd-inetd 0.20221205-2~deb12u1's preinst writes these section headers
# (update-inetd --group inserts at the first empty line after "#:GROUP:");
# only its commented examples of its built-in services under INTERNAL are
# left out. What comes before "#:INTERNAL:" is a comment of superd's own.
INETD_SECTIONS = """#:INTERNAL: Internal services

#:STANDARD: These are standard services.

#:BSD: Shell, login, exec and talk are BSD protocols.

#:MAIL: Mail, news and uucp services.

#:INFO: Info services

#:BOOT: TFTP service is provided primarily for booting.  Most sites
#       run this only on machines acting as "boot servers."

#:RPC: RPC based services

#:HAM-RADIO: amateur-radio services

#:OTHER: Other services

"""


def etc_overlay(work):
    """A command prefix running a command in a mount namespace of its own
    where /etc is an overlay of the real one, whose changes land in
    WORK/etc-changes (returned too): the real /etc is never written. None
    where no such namespace can be made (then the scripts are not run)."""
    unshare, mount = shutil.which("unshare"), shutil.which("mount")
    if not unshare or not mount:
        return None, None
    upper, scratch = os.path.join(work, "etc-changes"), os.path.join(work, "etc-work")
    os.makedirs(upper)
    os.makedirs(scratch)
    inner = (f"{shlex.quote(mount)} -t overlay overlay -o lowerdir=/etc,"
             f"upperdir={shlex.quote(upper)},workdir={shlex.quote(scratch)} /etc && exec \"$@\"")
    namespaces = [["--mount"]]
    if os.geteuid() != 0:
        namespaces = [["--user", "--map-root-user", "--mount"]]
    for ns in namespaces:
        prefix = [unshare] + ns + ["--propagation", "private", "/bin/sh", "-c", inner, "sh"]
        probe = run(prefix + ["/bin/sh", "-c", "echo probe > /etc/.superd-probe"])
        changed = os.path.exists(os.path.join(upper, ".superd-probe"))
        if os.path.exists(os.path.join(upper, ".superd-probe")):
            os.remove(os.path.join(upper, ".superd-probe"))
        if probe.returncode == 0 and changed and not os.path.exists("/etc/.superd-probe"):
            return prefix, upper
    return None, None


def run_script(control, script, args, bindir, log, was_enabled=0, extra_env=None, isolate=None):
    if os.path.exists(log):
        os.remove(log)
    # PATH holds the stand-ins only: a real helper can never be reached.
    env = {"PATH": bindir, "STUB_LOG": log, "STUB_WAS_ENABLED": str(was_enabled)}
    env.update(extra_env or {})
    result = run((isolate or []) + ["/bin/sh", os.path.join(control, script)] + args,
                 env=env, timeout=30)
    calls = open(log).read().splitlines() if os.path.exists(log) else []
    print("  calls: " + ("; ".join(calls) or "none"))
    return result.returncode, calls


def make_bindir(path, helpers):
    """A PATH directory: the stand-ins for HELPERS and the Essential tools."""
    os.makedirs(path)
    for name in helpers:
        with open(os.path.join(path, name), "w") as f:
            f.write(STUB)
        os.chmod(os.path.join(path, name), 0o755)
    for name in ESSENTIAL:
        os.symlink(shutil.which(name), os.path.join(path, name))


def check_maintainer_scripts(t, control, work):
    isolate, changes = etc_overlay(work)
    if isolate is None:
        print("SKIPPED: the maintainer scripts (no mount namespace with an overlay on /etc "
              "here, and they must not write the real /etc)")
        return
    stubs = os.path.join(work, "stubs")
    empty = os.path.join(work, "no-helpers")
    make_bindir(stubs, HELPERS)
    make_bindir(empty, [])
    log = os.path.join(work, "calls.log")
    systemd = os.path.isdir("/run/systemd/system")
    sysv_script = os.access("/etc/init.d/superd", os.X_OK)
    print(f"host: systemd running: {systemd}; /etc/init.d/superd present: {sysv_script}")

    def script(*args, **kwargs):
        return run_script(control, *args, isolate=isolate, **kwargs)

    # First install: enable, and start where there is something to start with.
    rc, calls = script("postinst", ["configure"], stubs, log, was_enabled=0)
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
    if not os.path.exists("/etc/inetd.conf"):
        t.check(os.path.isfile(os.path.join(changes, "inetd.conf")),
                "postinst configure created /etc/inetd.conf (in the overlay)")
    # Upgrade, the administrator having disabled superd: stays disabled.
    rc, calls = script("postinst", ["configure", "0.0.1-1"], stubs, log, was_enabled=1)
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
    os.makedirs(os.path.join(work, "dpkg-root", "etc"))
    rc, calls = script("postinst", ["configure"], stubs, log,
                       extra_env={"DPKG_ROOT": os.path.join(work, "dpkg-root")})
    t.equal(rc, 0, "postinst configure with DPKG_ROOT")
    t.check(not any(c.startswith(("deb-systemd-invoke", "invoke-rc.d")) for c in calls),
            "postinst starts nothing with DPKG_ROOT")

    rc, calls = script("prerm", ["upgrade", "0.2.0-1"], stubs, log)
    t.equal(rc, 0, "prerm upgrade")
    t.equal(calls, [], "prerm upgrade leaves superd running")
    rc, calls = script("prerm", ["remove"], stubs, log)
    t.equal(rc, 0, "prerm remove")
    if systemd:
        t.check("deb-systemd-invoke stop superd.socket superd.service" in calls, "prerm stops superd")
    elif sysv_script:
        t.check("invoke-rc.d superd stop" in calls, "prerm stops superd")

    rc, calls = script("postrm", ["remove"], stubs, log)
    t.equal(rc, 0, "postrm remove")
    t.check("deb-systemd-helper mask superd.service superd.socket" in calls,
            "postrm remove masks the units in deb-systemd-helper's state")
    rc, calls = script("postrm", ["purge"], stubs, log)
    t.equal(rc, 0, "postrm purge")
    for call in ["update-rc.d superd remove",
                 "deb-systemd-helper purge superd.service superd.socket",
                 "deb-systemd-helper unmask superd.service superd.socket"]:
        t.check(call in calls, f"postrm purge: {call}")

    # A chroot without any helper: every script succeeds, doing nothing.
    for name, args in [("postinst", ["configure"]), ("postinst", ["configure", "0.0.1-1"]),
                       ("postinst", ["abort-upgrade", "0.0.1-1"]),
                       ("prerm", ["remove"]), ("prerm", ["upgrade", "0.2.0-1"]),
                       ("postrm", ["remove"]), ("postrm", ["purge"]),
                       ("postrm", ["upgrade", "0.2.0-1"])]:
        rc, _ = script(name, args, empty, log)
        t.equal(rc, 0, f"{name} {' '.join(args)} without any helper")

    check_inetd_conf(t, script, stubs, log, work)
    written = sorted(os.listdir(changes))
    t.check(set(written) <= {"inetd.conf"},
            f"the scripts wrote nothing in /etc but inetd.conf: {written}")


def check_inetd_conf(t, script, bindir, log, work):
    """postinst and postrm on DPKG_ROOT/etc/inetd.conf, in a throwaway root."""
    root = os.path.join(work, "inetd-root")
    os.makedirs(os.path.join(root, "etc"))
    conf = os.path.join(root, "etc", "inetd.conf")
    env = {"DPKG_ROOT": root}

    def write(text):
        with open(conf, "w") as f:
            f.write(text)
        os.chmod(conf, 0o600)  # so that a rewrite would show in the mode

    def read():
        with open(conf) as f:
            return f.read()

    # Missing: created, with the headers, 0644, nothing left beside it.
    rc, _ = script("postinst", ["configure"], bindir, log, extra_env=env)
    t.equal(rc, 0, "postinst configure, no inetd.conf")
    if t.check(os.path.isfile(conf), "postinst created DPKG_ROOT/etc/inetd.conf"):
        text = read()
        t.equal(oct(stat.S_IMODE(os.stat(conf).st_mode)), "0o644", "mode of the new inetd.conf")
        head, sep, sections = text.partition("#:INTERNAL:")
        t.equal(sep + sections, INETD_SECTIONS, "inetd.conf: openbsd-inetd's section headers")
        t.check(head and all(line.startswith("#") for line in head.splitlines()),
                "inetd.conf: only a comment above the sections")
        t.check("update-inetd(8)" in head and "#<off>#" in head,
                "inetd.conf's comment says how packages and administrators edit it")
        t.check(not re.search(r"^[\w[/]", text, re.M), "the new inetd.conf holds no entry")
        t.equal(sorted(os.listdir(os.path.join(root, "etc"))), ["inetd.conf"],
                "no temporary file left in DPKG_ROOT/etc")
        # Idempotent: a second configure (an upgrade) leaves it as it is.
        mtime = os.stat(conf).st_mtime_ns
        rc, _ = script("postinst", ["configure", "0.1.0-1"], bindir, log, extra_env=env)
        t.equal(rc, 0, "postinst configure again")
        t.equal((read(), os.stat(conf).st_mtime_ns), (text, mtime),
                "a second configure leaves inetd.conf untouched")

    # Present: never touched, even empty or without headers.
    for present in ["", "# an administrator's own file\n",
                    "ident\tstream\ttcp\tnowait\tnobody\t/usr/sbin/nullidentd\tnullidentd\n"]:
        write(present)
        rc, _ = script("postinst", ["configure"], bindir, log, extra_env=env)
        t.equal(rc, 0, "postinst configure, inetd.conf present")
        t.equal((read(), oct(stat.S_IMODE(os.stat(conf).st_mode))), (present, "0o600"),
                f"postinst leaves an existing inetd.conf alone: {present!r}")
    os.remove(conf)
    os.symlink("/nonexistent/inetd.conf", conf)
    rc, _ = script("postinst", ["configure"], bindir, log, extra_env=env)
    t.equal(rc, 0, "postinst configure, inetd.conf a dangling symlink")
    t.check(os.path.islink(conf), "postinst leaves a symlinked inetd.conf alone")
    rc, _ = script("postrm", ["purge"], bindir, log, extra_env=env)
    t.check(rc == 0 and os.path.islink(conf), "postrm purge leaves a symlinked inetd.conf alone")
    os.remove(conf)

    # purge: removed without entries (comments, headers, #<off># lines do
    # not count), kept with one; remove: always kept.
    disabled = "#<off># ident\tstream\ttcp\tnowait\tnobody\t/usr/sbin/nullidentd\tnullidentd\n"
    for text, kept, what in [
            (INETD_SECTIONS, False, "only the headers"),
            (INETD_SECTIONS + disabled, False, "a #<off># entry"),
            ("#ident stream tcp nowait nobody /usr/sbin/nullidentd\n \n", False, "a comment"),
            (INETD_SECTIONS.replace("#:INFO: Info services\n",
                                    "#:INFO: Info services\n" + disabled[8:]), True, "an entry"),
            ("127.0.0.1:echo stream tcp nowait nobody /bin/cat cat\n", True, "host:service"),
            ("[::1]:echo stream tcp nowait nobody /bin/cat cat\n", True, "[v6]:service"),
            ("/run/sock.sock stream unix nowait nobody /bin/cat cat\n", True, "a unix path"),
            ("7 stream tcp nowait nobody /bin/cat cat\n", True, "a port number")]:
        write(text)
        rc, _ = script("postrm", ["remove"], bindir, log, extra_env=env)
        t.check(rc == 0 and os.path.exists(conf), f"postrm remove keeps inetd.conf ({what})")
        rc, _ = script("postrm", ["purge"], bindir, log, extra_env=env)
        t.equal(rc, 0, f"postrm purge ({what})")
        t.equal(os.path.exists(conf), kept,
                f"postrm purge {'keeps' if kept else 'removes'} inetd.conf with {what}")
    rc, _ = script("postrm", ["purge"], bindir, log, extra_env=env)
    t.equal(rc, 0, "postrm purge without inetd.conf")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--source", required=True)
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
        root = check_files(t, deb, work)
        check_docs(t, root, args.source, args.version)
        check_maintainer_scripts(t, control, work)

    t.equal(snapshot(), before,
            "building the package and running its scripts changed nothing on the system")
    return t.finish()


if __name__ == "__main__":
    main_guard(main)
