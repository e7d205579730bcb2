#!/bin/sh
# The hand-written deploy Baton is compared with (bench figure 3): the same steps, nothing more.
# Runs on the host over one SSH session:
#   sh -s -- IMAGE NAME DOMAIN LISTEN CONF_DIR TEST_CMD RELOAD_CMD DOCKER_CONFIG VERSION
# DOCKER_CONFIG holds a registry login made once on the host beforehand.
set -eu
image=$1 name=$2 domain=$3 listen=$4 conf_dir=$5 test_cmd=$6 reload_cmd=$7 docker_config=$8 version=$9

docker --config "$docker_config" pull -q "$image" >/dev/null
old=$(docker ps -q --filter label=bench.minimal=1)
docker run -d --name "$name" --label bench.minimal=1 -e BOOT_DELAY=1 -e VERSION="$version" -p 127.0.0.1::8080 "$image" >/dev/null
port=$(docker port "$name" 8080/tcp | head -n 1 | sed 's/.*://')
tries=0
until curl -fsS -o /dev/null "http://127.0.0.1:$port/"; do
	tries=$((tries + 1))
	[ "$tries" -lt 600 ] || { echo "never ready" >&2; exit 1; }
	sleep 0.1
done
cat >"$conf_dir/bench-minimal.conf" <<CONF
server {
    listen $listen;
    server_name $domain;
    location / { proxy_pass http://127.0.0.1:$port; }
}
CONF
sh -c "$test_cmd" 2>/dev/null
sh -c "$reload_cmd"
[ -z "$old" ] || docker rm -f $old >/dev/null
