#!/bin/sh
# Baton test app (runs under busybox sh as PID 1 of the container).
#
#   HEALTH=ok     serve /www with busybox httpd: GET / -> "version $VERSION\n",
#                 GET /up -> "ok\n", GET /cgi-bin/host -> "host <Host header>\n",
#                 GET /cgi-bin/slow?N -> "slow $VERSION done\n" after N seconds
#   HEALTH=never  never listen (sleeps until stopped)
#   HEALTH=crash  exit 3 right after the boot delay
#   HEALTH=fail   listen, but answer every request with HTTP 500
#   HEALTH=hang   listen, take every request, and never answer it
#   REFUSE_FIRST=N  (HEALTH=ok) close the first N connections unanswered: not ready
#                 for N requests, however fast or slow the machine is
#
# The shell stays PID 1 and traps TERM/INT, so `docker stop` returns at once
# (a PID 1 without a handler would ignore TERM and be killed after 10 s).

VERSION=${VERSION:-dev}
PORT=${PORT:-8080}
BOOT_DELAY=${BOOT_DELAY:-0}
HEALTH=${HEALTH:-ok}
REFUSE_FIRST=${REFUSE_FIRST:-0}

# One HTTP exchange for HEALTH=fail: `nc -ll -e` runs this per connection with
# the socket on stdin/stdout. Read the request head, then answer 500.
if [ "${1:-}" = "--respond-500" ]; then
	cr=$(printf '\r')
	request=
	# shellcheck disable=SC3045 # busybox ash has read -t
	while IFS= read -r -t 5 line; do
		line=${line%"$cr"}
		[ -z "$request" ] && request=$line
		[ -z "$line" ] && break
	done
	echo "app $VERSION answered 500 to: $request" >&2
	body="version $VERSION failing"
	printf 'HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s\n' \
		"$(( ${#body} + 1 ))" "$body"
	exit 0
fi

log() { echo "app $VERSION $*"; }

child=
on_term() {
	log "got SIGTERM, stopping"
	[ -n "$child" ] && kill "$child" 2>/dev/null
	exit 0
}
trap on_term TERM INT

# Run a command in the background and wait for it, so traps fire at once.
run() {
	"$@" &
	child=$!
	wait "$child"
	rc=$?
	child=
	return "$rc"
}

log "booting (delay ${BOOT_DELAY}s)"
run sleep "$BOOT_DELAY"

case "$HEALTH" in
ok)
	mkdir -p /www
	printf 'version %s\n' "$VERSION" >/www/index.html
	echo ok >/www/up
	# /cgi-bin/host echoes the Host header the request carried (for absolute-URL checks).
	mkdir -p /www/cgi-bin
	printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\nhost %%s\\n" "$HTTP_HOST"\n' >/www/cgi-bin/host
	chmod 755 /www/cgi-bin/host
	# /cgi-bin/slow?N answers after N seconds (a long request, for drain tests).
	printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\nsleep "${QUERY_STRING:-1}"\necho "slow %s done"\n' "$VERSION" >/www/cgi-bin/slow
	chmod 755 /www/cgi-bin/slow
	refused=0
	while [ "$refused" -lt "$REFUSE_FIRST" ]; do
		run nc -l -p "$PORT" -e /bin/true
		refused=$((refused + 1))
	done
	[ "$REFUSE_FIRST" -gt 0 ] && log "closed $REFUSE_FIRST connection(s) unanswered"
	log "listening on $PORT"
	run httpd -f -v -p "0.0.0.0:$PORT" -h /www
	rc=$?
	log "httpd exited with $rc"
	exit "$rc"
	;;
never)
	log "HEALTH=never: will never listen on $PORT"
	while :; do run sleep 1; done
	;;
crash)
	log "HEALTH=crash: exiting with 3"
	exit 3
	;;
fail)
	log "listening on $PORT (HEALTH=fail: every request gets 500)"
	run nc -ll -p "$PORT" -e /bin/sh /app.sh --respond-500
	rc=$?
	log "nc exited with $rc"
	exit "$rc"
	;;
hang)
	log "listening on $PORT (HEALTH=hang: no request is ever answered)"
	run nc -ll -p "$PORT" -e /bin/sleep 3600
	rc=$?
	log "nc exited with $rc"
	exit "$rc"
	;;
*)
	log "unknown HEALTH=$HEALTH (expected ok, never, crash, fail or hang)"
	exit 2
	;;
esac
