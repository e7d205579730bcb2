// The cooldown watch on the host (canary-cooldown-watch: host): a detached shell process that reads the
// app's traffic log for the cooldown, judges the new release like the runner would (5xx rate and p99
// since the last check that reached a verdict, failing checks in a row), and on failure sends all traffic back to the old
// release by itself. It outlives the runner; the next command under the app's lock stops it.

import type { HostWatch } from '../types';

// $1.. as in watchCommand. Lines of the log: $msec bucket status "release" "upstream_response_time".
const WATCH = `d=$1; log=$2; off=$3; fresh=$4; ff=$5; of=$6; secs=$7; every=$8; shift 8
limit=$1; minreq=$2; maxrate=$3; maxp99=$4; bound=$5; cur=$6; rec=$7; res=$8; oldrel=$9; shift 9
json=$1; ghurl=$2; ghbody=$3; ghhdr=$4; freshc=$5; shift 5
umask 077; cd "$d" || exit 1
echo $$ > cooldown.pid; : > cooldown.marks; rm -f "$res"
end=$(( $(date +%s) + secs )); fails=0; judged=$off
drain() {
  pid=$(cat "$1/pid" 2>/dev/null); [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null; i=0
  while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt $((bound * 10)) ]; do sleep 0.1; i=$((i+1)); done
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; rm -rf "$1"
}
# The new release's lines between two byte offsets of the log: prints "hold" (too few requests), why it
# fails, or nothing (it passes). nginx's own answers (no release header) count for it: at 100% it is all.
judge() {
  tail -c +$(($1 + 1)) "$log" | head -c $(($2 - $1)) |
    awk -v r="\\"$fresh\\"" '$4 == r || $4 == "\\"-\\"" || $4 == "\\"\\"" { n++; if ($3 >= 500) e++; t = $5; gsub(/"/, "", t); sub(/.*[,:] */, "", t); if (t ~ /^[0-9]/) print "t", t * 1000 } END { print "n", n + 0, e + 0 }' |
    sort -k1,1 -k2,2n |
    awk -v minreq="$minreq" -v maxrate="$maxrate" -v maxp99="$maxp99" '
      $1 == "n" { n = $2; e = $3; next } { ms[++k] = $2 }
      END {
        if (n < minreq) { print "hold"; exit }
        if (e / n > maxrate) { printf "5xx rate %.2f%% is above %.2f%% (%d of %d requests)", 100 * e / n, 100 * maxrate, e, n; exit }
        if (!k) exit
        i = int(k * 0.99); if (i < k * 0.99) i++; if (i < 1) i = 1
        if (ms[i] > maxp99) printf "p99 %dms is above %dms (%d requests)", ms[i], maxp99, n
      }'
}
finish() { rm -f cooldown.pid cooldown.marks \${ghhdr:+"$ghhdr"}; exit 0; }
# Sets the GitHub deployment to failure, when a token was given for it; prints what GitHub said.
report() {
  [ -n "$ghurl" ] || return 0
  command -v curl >/dev/null || { echo "; GitHub not told: no curl on the host"; return 0; }
  desc=$(printf 'Canary cooldown rolled back on the host: %s' "$1" | cut -c1-140)
  code=$(printf '%s' "$ghbody" | sed "s|@DESCRIPTION@|$desc|" | curl -sS -o /dev/null -w '%{http_code}' --max-time 30 \
    -X POST -H @"$ghhdr" -H 'Accept: application/vnd.github+json' -H 'X-GitHub-Api-Version: 2022-11-28' \\
    -H 'Content-Type: application/json' \
    --data-binary @- "$ghurl" 2>&1)
  echo "; GitHub deployment status: HTTP $code"
}
trap finish TERM INT
while [ "$(date +%s)" -lt $end ]; do
  sleep "$every" & wait $!
  now=$(date +%s); size=$(stat -c %s "$log" 2>/dev/null || echo 0)
  # Each check judges the traffic since the last check that reached a verdict: a burst is judged once,
  # and a quiet spell adds up until there is enough for a verdict.
  [ "$size" -ge "$judged" ] || judged=0
  echo "$now $size" >> cooldown.marks
  why=$(judge "$judged" "$size")
  if [ "$why" = hold ]; then continue; fi
  judged=$size
  if [ -n "$why" ]; then fails=$((fails + 1)); else fails=0; fi
  [ "$fails" -ge "$limit" ] || continue
  ln -sfn "$of/sock" .primary.new && mv -Tf .primary.new primary
  printf '%s\\n' "$oldrel" > "$cur.tmp" && mv -f "$cur.tmp" "$cur"
  printf '%s\\n' "$json" | sed "s|@REASON@|cooldown (watched on the host): $why|" > "$rec.tmp" && mv -f "$rec.tmp" "$rec"
  told=$(report "$why")
  drain "$ff"; docker stop --time 30 "$freshc" >/dev/null 2>&1
  echo "rolled back at $(date -u +%FT%TZ): $why$told" > "$res"; finish
done
drain "$of"
for c in "$@"; do docker stop --time 30 "$c" >/dev/null 2>&1; done
echo "passed at $(date -u +%FT%TZ)" > "$res"; finish`;

/** Starts the watch detached from the SSH session (it outlives the runner). */
export function watchCommand(spec: HostWatchArgs): string[] {
  const { watch } = spec;
  const args = [
    spec.dir,
    spec.log,
    String(spec.offset),
    watch.fresh.release,
    spec.freshForwarder,
    spec.oldForwarder,
    String(watch.seconds),
    String(watch.checkSeconds),
    String(watch.failureLimit),
    String(watch.minRequests),
    String(watch.maxErrorRate),
    String(watch.maxP99Ms),
    String(watch.drainSeconds),
    watch.currentFile,
    watch.recordFile,
    watch.resultFile,
    watch.old.release,
    watch.rolledBackRecord,
    watch.github?.url ?? '',
    watch.github?.body ?? '',
    watch.github?.headerFile ?? '',
    watch.fresh.container,
    ...watch.old.containers,
  ];
  const launch = `nohup sh -c "$0" baton-cooldown "$@" </dev/null >/dev/null 2>&1 &`;
  return ['sh', '-c', launch, WATCH, ...args];
}

export interface HostWatchArgs {
  watch: HostWatch;
  /** The app's run dir, its traffic log and the log's size when traffic moved to 100%. */
  dir: string;
  log: string;
  offset: number;
  freshForwarder: string;
  oldForwarder: string;
}

// Stops a running watch (its trap cleans up; the GitHub header file goes too) and prints its result, if any: "passed at …" or
// "rolled back at …: why".
const STOP = `d=$1; res=$2; rm -f "$3"
pid=$(cat "$d/cooldown.pid" 2>/dev/null)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
  kill -TERM "$pid"; i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done
  echo "stopped"
fi
cat "$res" 2>/dev/null; rm -f "$res"; exit 0`;

export function stopWatchCommand(dir: string, resultFile: string, headerFile: string): string[] {
  return ['sh', '-c', STOP, 'baton-cooldown-stop', dir, resultFile, headerFile];
}
