#!/usr/bin/env bash
# Proxy scenario: wsgate's proxy kind against nginx as a WebSocket reverse proxy, both in
# front of the same upstream (a wsgate echo server in its own process). The load is
# wsbench's echo scenario (1000 connections, 64 B, one message in flight each) and its idle
# scenario (RSS growth per proxied pair); the figures are the proxy's own process.
#
#   bash bench/proxy/run.sh            # needs: go, nginx (apt-get install -y nginx)
#   ROUNDS=5 DURATION=3s bash bench/proxy/run.sh   # alternating rounds; quote medians
#
# nginx runs as one process (master_process off, one worker): the CPU and RSS sampled are
# all of it. wsgate runs with its default loops (half the CPUs). Both share the machine's cores
# with the load generator and the upstream; compare per server CPU second.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v nginx >/dev/null || { echo "nginx is not installed; install with: apt-get install -y nginx" >&2; exit 1; }
work=bench/work/proxy
mkdir -p "$work"
go build -o "$work/wsgate" ./cmd/wsgate
(cd bench && go build -o "work/proxy/wsbench" ./cmd/wsbench)

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
UP=$(port); GW=$(port); GWH=$(port); NG=$(port)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

cat > "$work/upstream.toml" <<CONF
[http]
listen = "127.0.0.1:$UP"
[websocket]
ping_interval = "0s"
max_connections = 100000
max_handshaking = 100000
[log]
level = "warn"
[[app]]
name = "echo"
kind = "echo"
path = "/echo"
CONF
cat > "$work/gateway.toml" <<CONF
[http]
listen = "127.0.0.1:$GWH"
[websocket]
ping_interval = "0s"
max_connections = 100000
max_handshaking = 100000
[log]
level = "warn"
[[standalone]]
name = "ws"
listen = "127.0.0.1:$GW"
[[app]]
name = "echo"
kind = "proxy"
path = "/echo"
upstream = "ws://127.0.0.1:$UP/echo"
CONF
cat > "$work/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $PWD/$work/nginx.pid;
error_log stderr warn;
worker_rlimit_nofile 100000;
events { worker_connections 50000; }
http {
    access_log off;
    client_body_temp_path $PWD/$work/nginx-tmp;
    proxy_temp_path $PWD/$work/nginx-tmp;
    map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
    server {
        listen 127.0.0.1:$NG;
        location /echo {
            proxy_pass http://127.0.0.1:$UP/echo;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$remote_addr;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
            proxy_buffering off;
        }
    }
}
CONF
mkdir -p "$work/nginx-tmp"
ulimit -n 200000 2>/dev/null || ulimit -n 65536 2>/dev/null || true

"$work/wsgate" -config "$work/upstream.toml" & pids+=($!)
"$work/wsgate" -config "$work/gateway.toml" & gwpid=$!; pids+=($gwpid)
nginx -c "$PWD/$work/nginx.conf" -p "$PWD/$work" & ngpid=$!; pids+=($ngpid)
sleep 1

conns=${CONNS:-1000}
idle=${IDLE:-5000}
rounds=${ROUNDS:-1}
secs=${DURATION:-5s}
target() { if [ "$1" = wsgate ]; then addr=127.0.0.1:$GW pid=$gwpid; else addr=127.0.0.1:$NG pid=$ngpid; fi; }
for who in wsgate nginx; do
	target $who
	# First, on the fresh process: memory freed by a load run would be reused by the pairs
	# and hide what they cost.
	echo "== $who: idle, $idle proxied pairs (RSS per pair)"
	"$work/wsbench" run -scenario idle -addr "$addr" -path /echo -conns "$idle" -pid "$pid"
done
# ROUNDS=n repeats the load runs, alternating the two proxies, so that both meet the same
# background load: on a shared machine compare the medians.
for round in $(seq 1 "$rounds"); do
	for who in wsgate nginx; do
		target $who
		echo "== round $round, $who: echo, $conns connections x 64 B through the proxy"
		"$work/wsbench" run -scenario echo -addr "$addr" -path /echo -conns "$conns" -size 64 -duration "$secs" -pid "$pid"
		echo "== round $round, $who: echo, 100 connections x 4 KiB"
		"$work/wsbench" run -scenario echo -addr "$addr" -path /echo -conns 100 -size 4096 -duration "$secs" -pid "$pid"
	done
done
