// Command lines of the reload-free scheme, as argument arrays. Each script is a constant: paths, ports and
// releases arrive as positional arguments ($1...), quoted once by toShell. Nothing here runs anything.

import { BUCKETS, bucketName } from './socket-site';

/** Exit code of START when the forwarder's nginx did not come up. */
export const NO_FORWARDER = 96;

// Prints the app's links and forwarders, then, after a marker line, the site file.
const STATE = `d=$1
for l in primary secondary; do printf '%s %s\\n' "$l" "$(readlink "$d/$l" 2>/dev/null)"; done
n=0; for b in "$d"/b[0-9][0-9]; do [ "$(readlink "$b" 2>/dev/null)" = secondary ] && n=$((n+1)); done
echo "secondary-buckets $n"
for f in "$d"/f-*; do [ -d "$f" ] && echo "forwarder \${f##*/}"; done
echo ---site---
cat "$2" 2>/dev/null
exit 0`;

/** The app's links, forwarders and site file; see parseState. */
export function readState(appRunDir: string, siteFile: string): string[] {
  return ['sh', '-c', STATE, 'baton-state', appRunDir, siteFile];
}

// Starts a forwarder from the config on stdin, unless it already runs. A new one is marked `staged` until
// a hand-over links it, so that discarding a failed deploy stops it and never a live one.
const START = `umask 022; d=$1
mkdir -p "$d" && chmod 755 "$d" "\${d%/*}" || exit 1
if [ -f "$d/pid" ] && kill -0 "$(cat "$d/pid")" 2>/dev/null; then cat >/dev/null; exit 0; fi
cat >"$d/nginx.conf" && : >"$d/staged" && rm -f "$d/sock" || exit 1
nginx -q -e "$d/error.log" -c "$d/nginx.conf" || { cat "$d/error.log" >&2; exit 96; }
i=0; while [ ! -S "$d/sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
[ -S "$d/sock" ] || { echo "no socket at $d/sock" >&2; exit 96; }`;

export function startForwarder(dir: string): string[] {
  return ['sh', '-c', START, 'baton-forwarder', dir];
}

// Points primary (and secondary, or none) at forwarder sockets, then each bucket at one of them: the
// first K buckets at secondary. Every link moves by rename(2), atomically; nginx follows the links at its
// next connect(), so no reload. Only links that change are touched (an all-at-once hand-over moves just
// primary), in few processes: it is on the path from ready to traffic. Prints the traffic log's size.
const SWITCH = `d=$1; p=$2; s=$3; k=$4; log=$5
cd "$d" || exit 97
ln -sfn "$p" .primary.new && mv -Tf .primary.new primary || exit 97
if [ -n "$s" ]; then ln -sfn "$s" .secondary.new && mv -Tf .secondary.new secondary || exit 97; fi
links=$(find . -maxdepth 1 -name 'b[0-9][0-9]' -type l -printf '%f=%l\\n')
n=0
for b in ${Array.from({ length: BUCKETS }, (_, i) => bucketName(i)).join(' ')}; do
  t=primary; [ $n -lt "$k" ] && t=secondary; n=$((n+1))
  case "$links" in *"$b=$t"*) continue ;; esac
  ln -sfn $t ".$b.new" && mv -Tf ".$b.new" "$b" || exit 97
done
[ -n "$s" ] || rm -f secondary
rm -f "\${p%/sock}/staged" \${s:+"\${s%/sock}/staged"}
echo "switched $(stat -c %s "$log" 2>/dev/null || echo 0)"`;

/** Links the buckets: `secondaryBuckets` of them to `secondary`, the rest to `primary` (relative targets). */
export function switchLinks(
  appRunDir: string,
  primary: string,
  secondary: string | undefined,
  secondaryBuckets: number,
  log: string,
): string[] {
  return [
    'sh',
    '-c',
    SWITCH,
    'baton-switch',
    appRunDir,
    primary,
    secondary ?? '',
    String(secondaryBuckets),
    log,
  ];
}

// Drains and stops every forwarder no link points at (and not staged): first until its listen queue is
// empty (a connect() to the old path made before the switch sits there until accepted), then a graceful
// quit (in-flight requests finish, new ones go elsewhere already). What is still open after the bound
// (long requests, WebSockets) is counted and closed. One line per forwarder: baton-drained NAME MS OPEN.
const DRAIN = `d=$1; bound=$2
cd "$d" 2>/dev/null || exit 0
p=$(readlink primary 2>/dev/null); s=$(readlink secondary 2>/dev/null)
old=
for f in f-*; do
  [ -d "$f" ] || continue
  [ "$f" = "\${p%/sock}" ] || [ "$f" = "\${s%/sock}" ] || [ -e "$f/staged" ] || old="$old $f"
done
[ -n "$old" ] || exit 0
t0=$(date +%s%3N)
sleep 0.2
for f in $old; do
  i=0
  while [ $i -lt 50 ] && ss -xlnH 2>/dev/null | awk -v s="$d/$f/sock" '$5 == s && $3 != "0" { q = 1 } END { exit !q }'; do
    sleep 0.1; i=$((i+1))
  done
  kill -QUIT "$(cat "$f/pid" 2>/dev/null)" 2>/dev/null
done
end=$(( $(date +%s%3N) + bound * 1000 ))
for f in $old; do
  pid=$(cat "$f/pid" 2>/dev/null); open=0
  while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(date +%s%3N)" -lt $end ]; do sleep 0.1; done
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    port=$(printf ':%04X' "\${f##*-}")
    open=$(awk -v p="$port" '$3 ~ p"$" && $4 == "01"' /proc/net/tcp /proc/net/tcp6 2>/dev/null | wc -l)
    kill -TERM "$pid" 2>/dev/null; i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done
    pkill -KILL -P "$pid" 2>/dev/null; kill -KILL "$pid" 2>/dev/null
  fi
  echo "baton-drained $f $(( $(date +%s%3N) - t0 )) $open"
  rm -rf "$f"
done`;

export function drainForwarders(appRunDir: string, boundSeconds: number): string[] {
  return ['sh', '-c', DRAIN, 'baton-drain', appRunDir, String(boundSeconds)];
}

// Stops the forwarders no link points at (a failed or cancelled deploy's; drains ran under the same lock
// already), or all of them with "all", and removes them.
const DISCARD = `d=$1
p=$(readlink "$d/primary" 2>/dev/null); s=$(readlink "$d/secondary" 2>/dev/null)
for f in "$d"/f-*; do
  [ -d "$f" ] || continue
  n=\${f##*/}/sock
  [ "$2" = all ] || { [ "$n" != "$p" ] && [ "$n" != "$s" ]; } || continue
  pid=$(cat "$f/pid" 2>/dev/null); [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
  rm -rf "$f"
done
[ "$2" = all ] && rm -rf "$d"
exit 0`;

export function discardForwarders(appRunDir: string, which: 'unlinked' | 'all'): string[] {
  return ['sh', '-c', DISCARD, 'baton-discard', appRunDir, which];
}

// The traffic log from a byte offset (from 0 when it shrank: rotated), after its size and the bucket links.
const TRAFFIC = `f=$1; o=$2; d=$3
s=$(stat -c %s "$f" 2>/dev/null || echo 0)
[ "$s" -ge "$o" ] || o=0
for b in "$d"/b[0-9][0-9]; do printf 'link %s %s\\n' "\${b##*/}" "$(readlink -f "$b" 2>/dev/null)"; done
echo "size $s"
[ "$s" -gt "$o" ] && tail -c +$((o + 1)) "$f" | head -c $((s - o))
exit 0`;

export function readTraffic(log: string, offset: number, appRunDir: string): string[] {
  return ['sh', '-c', TRAFFIC, 'baton-traffic', log, String(offset), appRunDir];
}
