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
# Faults for canary tests (HEALTH=ok), on GET /cgi-bin/work only, which answers "work $VERSION\n"
# (/ and /up stay static, so the deploy's checks pass whatever the knobs say):
#   FAIL_PERCENT=P  answer P% of the requests (at random) with "500 Internal Server Error", body
#                 "work $VERSION failing" (the CGI prints the whole response: busybox httpd passes
#                 a CGI's output through as is when it starts with "HTTP", and ignores "Status:")
#   LATENCY_MS=N  answer N ms later (busybox usleep)
#   CPU_BURN=S    spend S seconds of CPU (fractions allowed, e.g. 0.05) in a busy loop on each
#                 request (reading /proc/uptime, no fork): R requests/s use about R x S cores
#   FAULT_AFTER=S the three above apply only from S whole seconds after the app started listening;
#                 0 (default) = from the start. A release that passes its canary steps, then turns
#                 bad during the cooldown.
#
# The shell stays PID 1 and traps TERM/INT, so `docker stop` returns at once
# (a PID 1 without a handler would ignore TERM and be killed after 10 s).

VERSION=${VERSION:-dev}
PORT=${PORT:-8080}
BOOT_DELAY=${BOOT_DELAY:-0}
HEALTH=${HEALTH:-ok}
REFUSE_FIRST=${REFUSE_FIRST:-0}
FAIL_PERCENT=${FAIL_PERCENT:-0}
LATENCY_MS=${LATENCY_MS:-0}
CPU_BURN=${CPU_BURN:-0}
FAULT_AFTER=${FAULT_AFTER:-0}

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
	# /cgi-bin/work: "work $VERSION" with the fault knobs above, read from the environment httpd hands
	# down to its CGIs (STARTED: when the app started listening, in centiseconds of /proc/uptime).
	cat >/www/cgi-bin/work <<'CGI'
#!/bin/sh
centis() { w=${1%%.*}; f=${1#"$w"}; f=${f#.}00; f=${f%"${f#??}"}; echo $(( ${w:-0} * 100 + ${f#0} )); }
read -r up _ </proc/uptime
now=${up%.*}${up#*.}
if [ $(( now - STARTED )) -ge $(( FAULT_AFTER * 100 )) ]; then
	[ "$LATENCY_MS" -gt 0 ] && usleep $(( LATENCY_MS * 1000 ))
	if [ "$CPU_BURN" != 0 ]; then
		end=$(( now + $(centis "$CPU_BURN") ))
		while read -r up _ </proc/uptime && [ "${up%.*}${up#*.}" -lt "$end" ]; do :; done
	fi
	if [ "$FAIL_PERCENT" -gt 0 ] && [ $(( RANDOM % 100 )) -lt "$FAIL_PERCENT" ]; then
		printf 'HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nwork %s failing\n' "$VERSION"
		exit 0
	fi
fi
printf 'Content-Type: text/plain\r\n\r\nwork %s\n' "$VERSION"
CGI
	chmod 755 /www/cgi-bin/work
	refused=0
	while [ "$refused" -lt "$REFUSE_FIRST" ]; do
		run nc -l -p "$PORT" -e /bin/true
		refused=$((refused + 1))
	done
	[ "$REFUSE_FIRST" -gt 0 ] && log "closed $REFUSE_FIRST connection(s) unanswered"
	read -r up _ </proc/uptime
	export STARTED="${up%.*}${up#*.}" FAIL_PERCENT LATENCY_MS CPU_BURN FAULT_AFTER
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
