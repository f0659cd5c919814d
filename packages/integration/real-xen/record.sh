#!/bin/bash
# record.sh [--out DIR]: boots real Xen 4.17 once (run.sh), runs every scenario of scenarios.txt in dom0,
# cuts the serial log per scenario and writes one fixture a scenario, `<name>.txt`:
#   # scenario: NAME / # command: CMD / # rc: N / # serial-sha256: HASH   then the command's dom0 output
# plus `hvm1.chk.xz` (the save image real xl wrote, sent over the console in base64) and `run.txt`.
# With --out (a live run), hvm-save-image sends nothing and there is no hvm1.chk.xz.
# DIR defaults to the committed fixtures (src/real-xen/__fixtures__); the live tier passes a temp dir,
# so only this script, run by hand, ever rewrites fixtures.
# A boot is retried (at most RETRIES=2 more) only when a dom0 program crashed (a scenario's rc is 134 or
# 139, a segfault dom0's kernel counted, ld.so's `Inconsistency detected` assertion, xl misreading its
# unchanged xl.conf, or qemu-xen exiting as libxl spawns it: the crashes described in README.md); any
# other outcome is final.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUTDIR=$HERE/../src/real-xen/__fixtures__
LIVE=0; [ "${1:-}" = --out ] && { OUTDIR=${2:?--out DIR}; LIVE=1; }
mkdir -p "$OUTDIR"; OUTDIR=$(cd "$OUTDIR" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/real-xen.XXXXXX"); trap 'rm -rf "$WORK"' EXIT
# scenarios.txt: `name command...`; the command list for dom0 is the commands alone, in order.
grep -v -E '^\s*(#|$)' "$HERE/scenarios.txt" > "$WORK/scenarios"
if [ "$LIVE" = 1 ]; then sed -i -E 's/^hvm-save-image .*/hvm-save-image echo not sent in a live run/' "$WORK/scenarios"; fi
sed -E 's/^[^ ]+ +//' "$WORK/scenarios" > "$WORK/cmds.txt"
count=$(wc -l < "$WORK/scenarios")
T0=$(date +%s); attempt=0; retries=0
while :; do
  attempt=$((attempt + 1)); run=$WORK/attempt-$attempt
  OUT=$run bash "$HERE/run.sh" "$WORK/cmds.txt" | tail -n 1 >&2
  log=$run/serial.log
  grep -q '### ALL-DONE' "$log" || { echo "record: dom0 did not finish the list (see $log)" >&2; cp "$log" "$OUTDIR/failed-serial.log"; exit 1; }
  crashed=$(tr -d '\r' < "$log" | grep -a -E '### RC\[[0-9]+\]=(134|139) |Inconsistency detected by ld.so|^/etc/xen/xl.conf:[0-9]+: config parsing error|device model: spawn failed' || true)
  # A segfault in a command substitution leaves its scenario's status alone: dom0's kernel counts
  # them all (the `segfaults` scenario, last, prints `dmesg | grep -c segfault`).
  segv=$(tr -d '\r' < "$log" | awk -v n="$(grep -n '^segfaults ' "$WORK/scenarios" | cut -d: -f1)" '
    $0 ~ "^### CMD\\[" n "\\]: " { on = 1; next } on { sub(/#.*/, ""); if ($0 ~ /^[0-9]+$/) { print; exit } }' || true)
  [ -n "$segv" ] && [ "$segv" != 0 ] && crashed="$crashed dom0 segfaults: $segv"

  [ -z "$crashed" ] && break
  echo "record: a dom0 program crashed ($(echo "$crashed" | tr '\n' ' ')), attempt $attempt" >&2
  [ "$retries" -ge "${RETRIES:-2}" ] && { cp "$log" "$OUTDIR/failed-serial.log"; exit 1; }
  retries=$((retries + 1))
done
sha=$(sha256sum "$log" | cut -d' ' -f1)
# One file per scenario (split-serial.awk).
tr -d '\r' < "$log" | awk -v o="$WORK/split" -v sha="$sha" -v list="$WORK/scenarios" -f "$HERE/split-serial.awk"
got=$(ls "$WORK/split" | wc -l)
[ "$got" -eq "$count" ] || { echo "record: $got of $count scenarios in the log" >&2; exit 1; }
# The save image: base64 lines back to the file, checked against the sum dom0 printed.
image=$WORK/split/hvm-save-image.txt
if [ "$LIVE" = 0 ]; then
  grep -a '^B64:' "$image" | cut -c5- | base64 -d | bunzip2 > "$WORK/hvm1.chk"
  want=$(awk '$2 == "hvm1.chk" {print $1}' "$WORK/split/hvm-save-file.txt")
  [ "$(sha256sum < "$WORK/hvm1.chk" | cut -d' ' -f1)" = "$want" ] || { echo "record: the save image arrived damaged" >&2; exit 1; }
  { head -n 4 "$image"; echo "received $(stat -c %s "$WORK/hvm1.chk") bytes, sha256 $want"; } > "$image.new"
  mv "$image.new" "$image"
  xz -9 -c "$WORK/hvm1.chk" > "$WORK/split/hvm1.chk.xz"
fi
T1=$(date +%s)
printf 'serial-sha256: %s\nscenarios: %s\nboots: %s\nretries: %s\nwall: %ss\n' "$sha" "$count" "$attempt" "$retries" "$((T1 - T0))" > "$WORK/split/run.txt"
rm -f "$OUTDIR"/*.txt "$OUTDIR"/hvm1.chk.xz "$OUTDIR/failed-serial.log"
cp "$WORK"/split/* "$OUTDIR"/
echo "record: $count scenarios, $attempt boot(s), $retries retr$([ "$retries" = 1 ] && echo y || echo ies), $((T1 - T0)) s -> $OUTDIR" >&2
