#!/usr/bin/env bash
# check_report.sh - checks that a benchmark report is well formed (never its
# speed: speed is for the benchmark, not for a test).
#
#   bench/check_report.sh REPORT.md
#       checks an existing report (and REPORT.json next to it)
#   bench/check_report.sh --run [bench/run OPTIONS...]
#       runs `bench/run --quick` (with OPTIONS, e.g. --superd PATH --tools DIR)
#       into a temporary directory, then checks what it wrote
#
# Exit status 0 if the report is well formed, 1 if not (every problem is
# printed), 2 for a usage error.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [[ $# -ge 1 && $1 == --run ]]; then
  shift
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-check.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  python3 "$here/run" --quick --out "$tmp/report.md" "$@"
  report=$tmp/report.md
elif [[ $# -eq 1 && $1 != -* ]]; then
  report=$1
else
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi

python3 - "$report" <<'EOF'
import json, os, re, sys

path = sys.argv[1]
problems = []
def bad(msg):
    problems.append(msg)

try:
    text = open(path).read()
except OSError as e:
    print(f"check_report: {e}", file=sys.stderr)
    sys.exit(1)
lines = text.splitlines()

def need(pattern, what):
    if not any(re.search(pattern, l) for l in lines):
        bad(f"missing {what}")

need(r"^# superd benchmark results$", "the title")
need(r"^## Machine$", "the machine section")
need(r"^- CPU: .+, \d+ cores", "the CPU model and core count")
need(r"^- Kernel: \S+", "the kernel")
need(r"^- Load average at start: ", "the load average")
need(r"^Written by `bench/run.*` on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "the date")
need(r"^Total time of this run: \d+ s\.$", "the total time")

NUM = r"-?\d+(\.\d+)?"
def number(cell, what, allow_dash=False):
    if allow_dash and cell == "-":
        return None
    if not re.fullmatch(NUM, cell):
        bad(f"{what}: '{cell}' is not a number")
        return None
    return float(cell)

def table(header):
    """Rows (lists of cells) of the table whose header line is `header`."""
    try:
        i = lines.index(header)
    except ValueError:
        bad(f"missing table header: {header}")
        return []
    if i + 1 >= len(lines) or not re.fullmatch(r"\|(-*:?-+:?\|)+", lines[i + 1].replace(" ", "")):
        bad(f"no separator line under: {header}")
        return []
    ncols = header.count("|") - 1
    rows = []
    for l in lines[i + 2:]:
        if not l.startswith("|"):
            break
        cells = [c.strip() for c in l.strip().strip("|").split("|")]
        if len(cells) != ncols:
            bad(f"row has {len(cells)} cells, expected {ncols}: {l}")
            continue
        rows.append(cells)
    if not rows:
        bad(f"table without rows: {header}")
    return rows

MAIN = ("| server | c | conn/s | × ref | p50 ms | × ref | p99 ms | × ref "
        "| daemon CPU ms / 1k conn | × ref | errors | spread |")
main = table(MAIN)
seen = {}
for cells in main:
    server, c = cells[0], cells[1]
    what = f"{server} c={c}"
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", server):
        bad(f"bad server name '{server}'")
    if not re.fullmatch(r"\d+", c):
        bad(f"{what}: concurrency is not an integer")
        continue
    cps = number(cells[2], f"{what} conn/s")
    if cps is not None and cps <= 0:
        bad(f"{what}: conn/s is {cps}")
    vals = {"cps_x": number(cells[3], f"{what} conn/s ratio", True),
            "p50": number(cells[4], f"{what} p50"),
            "p50_x": number(cells[5], f"{what} p50 ratio", True),
            "p99": number(cells[6], f"{what} p99"),
            "p99_x": number(cells[7], f"{what} p99 ratio", True),
            "cpu": number(cells[8], f"{what} CPU"),
            "cpu_x": number(cells[9], f"{what} CPU ratio", True)}
    if vals["p50"] is not None and vals["p99"] is not None and vals["p99"] < vals["p50"]:
        bad(f"{what}: p99 {vals['p99']} below p50 {vals['p50']}")
    if not re.fullmatch(r"\d+", cells[10]):
        bad(f"{what}: errors '{cells[10]}' is not a count")
    if not re.fullmatch(r"\d+%", cells[11]):
        bad(f"{what}: spread '{cells[11]}' is not a percentage")
    seen[(server, int(c))] = vals

concs = sorted({c for _, c in seen})
for c in (1, 32, 128):
    for server in ("superd", "ref-vfork"):
        if (server, c) not in seen:
            bad(f"no row for {server} at c={c}")
for c in concs:
    ref = seen.get(("ref-vfork", c))
    if ref:
        for k in ("cps_x", "p50_x", "p99_x", "cpu_x"):
            if ref[k] not in (None, 1.0):
                bad(f"ref-vfork c={c}: its own {k} ratio is {ref[k]}, not 1.00")
    for (server, cc), v in seen.items():
        if cc == c and ref and v["cps_x"] is None:
            bad(f"{server} c={c}: no ratio to the reference")

for name in ("superd", "ref-vfork"):
    if not re.search(rf"^- `{re.escape(name)}`: .* — ran$", text, re.M):
        bad(f"the server list does not say that {name} ran")

if "## Scale" in lines:
    startup = table("| server | services | start-up s | first reply s | RSS MiB | serves |")
    got = {(r[0], r[1]) for r in startup if re.fullmatch(NUM, r[2])}
    for n in ("1000", "10000"):
        if ("superd", n) not in got:
            bad(f"scale: no start-up figure for superd with {n} services")
    for r in startup:
        if re.fullmatch(NUM, r[2]):
            number(r[3], f"scale {r[0]} x{r[1]} first reply")
            number(r[4], f"scale {r[0]} x{r[1]} RSS", True)
    busy = table("| server | services | conn/s alone | conn/s among them | ratio | p99 ms alone "
                 "| p99 ms among | CPU ms / 1k alone | CPU ms / 1k among | errors |")
    if not any(r[0] == "superd" and re.fullmatch(NUM, r[4]) for r in busy):
        bad("scale: no busy-service ratio for superd")
    idle = table("| server | services | seconds | wake-ups | CPU ms |")
    if not any(r[0] == "superd" and re.fullmatch(r"\d+", r[3]) and re.fullmatch(NUM, r[4]) for r in idle):
        bad("scale: no idle figures for superd")
else:
    bad("missing the scale section")

# The admission-policy section (issue 9): a full run (`bench/run` without
# --quick or --only) must have it; any report that has it must have it
# well formed. Verdict cells say yes, **no** or -, never anything else.
full = any(re.match(r"^Written by `bench/run` on ", l) for l in lines)
VERDICT = r"(yes|\*\*no\*\*|-)"
def subsection(title):
    if f"### {title}" in lines:
        return True
    if full:
        bad(f"missing the '{title}' part of the admission section")
    return False

if full:
    need(r"^## Admission policy$", "the admission policy section")
if subsection("Policy cost"):
    rows = table("| c | superd conn/s | superd-policy conn/s | ratio | per-round ratio | range "
                 "| superd CPU ms / 1k | superd-policy CPU ms / 1k | ratio | per-round ratio | range "
                 "| meets (conn/s / CPU) |")
    for r in rows:
        for i in (0, 1, 2, 3, 4, 6, 7, 8, 9):
            number(r[i], f"policy cost c={r[0]} column {i + 1}")
        if not re.fullmatch(rf"{VERDICT} / {VERDICT}", r[11]):
            bad(f"policy cost c={r[0]}: verdict '{r[11]}'")
    for c in sorted({c for server, c in seen if server == "superd-policy"}):
        if str(c) not in {r[0] for r in rows}:
            bad(f"policy cost: no row for c={c}, which the main table has")
    need(r"≥ 0\.97.*≤ 1\.1", "the policy cost targets")
if subsection("Refusals"):
    rows = table("| server | refusals/s | × ref-close | daemon CPU ms / 1k refusals "
                 "| refusals/s during | allowed conn/s alone | during its flood | ratio "
                 "| with the flood on ref-close | ratio | during / on ref-close | errors "
                 "| meets (refusals / allowed) |")
    got = {r[0]: r for r in rows}
    for name in ("superd-refusal", "ref-close"):
        if name not in got:
            bad(f"refusals: no row for {name}")
        elif "**" in got[name][1]:
            bad(f"refusals: {name} did not run: {got[name][1]}")
    if "superd-refusal" in got and "**" not in got["superd-refusal"][1]:
        r = got["superd-refusal"]
        for i in range(1, 12):
            number(r[i], f"refusals superd column {i + 1}")
        if not re.fullmatch(rf"{VERDICT} / {VERDICT}", r[12]):
            bad(f"refusals: superd verdict '{r[12]}'")
    if "ref-close" in got and got["ref-close"][2] not in ("1.00", "-"):
        bad(f"refusals: ref-close's own ratio is {got['ref-close'][2]}, not 1.00")
    need(r"≥ 0\.8.*≥ 0\.8", "the refusal targets")
if subsection("Bounded state"):
    rows = table("| figure | value | target | meets |")
    if not any(r[0] == "bytes per live source" and re.fullmatch(NUM, r[1]) for r in rows):
        bad("bounded state: no bytes per live source")
    e2e = table("| sources | connections | errors | VmRSS before MiB | just after | idle "
                "| after one more connection | VmHWM MiB | growth MiB | meets |")
    for r in e2e:
        for i in range(9):
            number(r[i], f"bounded state end to end column {i + 1}")
        if not re.fullmatch(VERDICT, r[9]):
            bad(f"bounded state: verdict '{r[9]}'")
if subsection("Start-up at 10,000 services"):
    rows = table("| services | start-up s | --check s | bare bind s | ratio | target | meets |")
    for r in rows:
        for i in range(5):
            number(r[i], f"start-up column {i + 1}")
        if not re.fullmatch(VERDICT, r[6]):
            bad(f"start-up: verdict '{r[6]}'")

# Issue 12's proxy part: superd behind HAProxy, with and without PROXY v2.
if "## Behind a load balancer" in lines:
    if not any(re.search(r"\*\*.+\*\*$", l) for l in lines
               if l.startswith("superd behind HAProxy with the PROXY protocol")):
        rows = table("| c | conn/s without | conn/s with PROXY v2 | ratio | per-round ratio | range "
                     "| p99 ms without | p99 ms with | superd CPU ms / 1k without | with "
                     "| HAProxy CPU ms / 1k without | with | errors | meets |")
        for r in rows:
            for i in (0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12):
                number(r[i], f"proxy c={r[0]} column {i + 1}", allow_dash=i in (3, 4, 8, 9, 10, 11))
            if not re.fullmatch(VERDICT, r[13]):
                bad(f"proxy c={r[0]}: verdict '{r[13]}'")
        need(r"Target: conn/s with PROXY v2 / without ≥ 0\.97", "the proxy target")
elif full:
    bad("missing the 'Behind a load balancer' section")

js = os.path.splitext(path)[0] + ".json"
try:
    data = json.load(open(js))
    if len(data.get("rows", [])) != len(main):
        bad(f"{js}: {len(data.get('rows', []))} rows, the table has {len(main)}")
    for k in ("machine", "params", "status"):
        if k not in data:
            bad(f"{js}: no '{k}'")
    if "## Admission policy" in lines and not data.get("admission"):
        bad(f"{js}: no 'admission' figures")
except (OSError, ValueError) as e:
    bad(f"{js}: {e}")

for p in problems:
    print(f"check_report: {path}: {p}", file=sys.stderr)
if problems:
    sys.exit(1)
print(f"check_report: {path}: well formed ({len(main)} rows, concurrencies {concs})")
EOF
