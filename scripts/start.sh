#!/usr/bin/env bash
# Build and start Field CRM with demo data: the sync server (one SQLite file) with demo
# accounts and demo customers, then the app signed in as the demo salesperson (王芳). With a
# display the Tauri app opens; without one the same UI is served on http://127.0.0.1:1420.
# Everything keeps running until Ctrl-C; the app keeps running, offline, when the sync
# server stops, and reconnects when it is started again.
#
# FIELD_CRM_HOME (data, default ~/.local/share/field-crm), FIELD_CRM_LISTEN (server address),
# FIELD_CRM_UI_LISTEN (the served UI), DEMO_CUSTOMERS; FIELD_CRM_BIN=DIR uses binaries
# already built in DIR and the UI already built in ui/dist (the suite's check of this script).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fieldcrm-target}"

has_display=
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -z "${FIELD_CRM_BIN:-}" ]; then
    has_display=1
fi
if [ -n "${FIELD_CRM_BIN:-}" ]; then
    bin="$FIELD_CRM_BIN"
else
    echo "== building (the first build takes 10 to 15 minutes on 2 cores; later ones seconds)"
    (cd ui && npm run --silent build)
    cargo build --release --locked -p crm-core --bin crm -p sync-server --bin sync-server -p web-shell --bin field-crm-web
    if [ -n "$has_display" ]; then
        cargo build --release --locked -p field-crm-app --bin field-crm
    fi
    bin="$CARGO_TARGET_DIR/release"
fi
home="${FIELD_CRM_HOME:-$HOME/.local/share/field-crm}"
listen="${FIELD_CRM_LISTEN:-127.0.0.1:7878}"
url="http://$listen"
db="$home/server.sqlite3"
device="$home/devices/wangfang"
app="$home/devices/app"
mkdir -p "$home/devices"

if [ ! -s "$db" ]; then
    echo "== creating the server database with demo accounts"
    SYNC_SERVER_PASSWORD=admin-demo-1 "$bin/sync-server" user add --db "$db" admin --role admin --name 管理员
    SYNC_SERVER_PASSWORD=lili-demo-1 "$bin/sync-server" user add --db "$db" lili --role supervisor --name 李丽 --team east
    SYNC_SERVER_PASSWORD=wangfang-demo-1 "$bin/sync-server" user add --db "$db" wangfang --role account_manager --name 王芳 --team east
    SYNC_SERVER_PASSWORD=zhaoli-demo-1 "$bin/sync-server" user add --db "$db" zhaoli --role finance --name 赵丽
fi

serve=("$bin/sync-server" serve --db "$db" --listen "$listen")
echo "== starting the sync server on $url"
"${serve[@]}" 2>>"$home/server.log" &
server=$!
echo "$server" >"$home/server.pid"
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/${listen%:*}/${listen#*:}") 2>/dev/null; then break; fi
    sleep 0.1
done

catalogue="$home/devices/admin"
if [ ! -s "$catalogue/crm.sqlite3" ] || ! "$bin/crm" --data "$catalogue" call '{"op":"whoami"}' | grep -q '"role":"admin"'; then
    echo "== signing in the admin's device and adding the demo product catalogue"
    CRM_PASSWORD=admin-demo-1 "$bin/crm" --data "$catalogue" login "$url" admin --device "demo office"
    "$bin/crm" --data "$catalogue" demo-catalogue
    "$bin/crm" --data "$catalogue" sync
fi
if [ ! -s "$device/crm.sqlite3" ] || ! "$bin/crm" --data "$device" call '{"op":"whoami"}' | grep -q '"role":"account_manager"'; then
    echo "== signing in the demo salesperson's device and adding demo customers"
    CRM_PASSWORD=wangfang-demo-1 "$bin/crm" --data "$device" login "$url" wangfang --device "demo laptop"
    "$bin/crm" --data "$device" sync
    "$bin/crm" --data "$device" demo --customers "${DEMO_CUSTOMERS:-300}" --users 0
fi
"$bin/crm" --data "$device" sync
if ! "$bin/crm" --data "$app" call '{"op":"whoami"}' 2>/dev/null | grep -q '"role":"account_manager"'; then
    echo "== signing in the app as 王芳"
    CRM_PASSWORD=wangfang-demo-1 "$bin/crm" --data "$app" login "$url" wangfang --device "demo app"
fi

if [ -n "$has_display" ]; then
    echo "== opening the app"
    CRM_DATA="$app" "$bin/field-crm" &
    ui_pid=$!
    where="the Field CRM window (data in $app)"
else
    ui_listen="${FIELD_CRM_UI_LISTEN:-127.0.0.1:1420}"
    "$bin/field-crm-web" --data "$app" --listen "$ui_listen" --ui ui/dist >"$home/app.log" 2>&1 &
    ui_pid=$!
    where="http://$ui_listen/ in a browser (no display here, so the app's UI is served instead;
               from another machine: ssh -L ${ui_listen##*:}:$ui_listen <this host>, then open that address)"
fi
trap 'kill $server $ui_pid 2>/dev/null || true' EXIT
# Ctrl-C or a kill ends the script (and, through the trap above, what it started).
trap 'exit 130' INT TERM

cat <<MSG

Field CRM is running.
  app          $where
  sync server  $url  (database $db, log $home/server.log)
  accounts     admin / admin-demo-1, lili (supervisor) / lili-demo-1, wangfang (salesperson) / wangfang-demo-1, zhaoli (finance) / zhaoli-demo-1
  CLI device   $device (also 王芳; made the demo customers)

In another terminal:
  $bin/crm --data $device search 陈
  $bin/crm --data $device call '{"op":"follow_ups","by":"$(date +%Y-%m-%d)"}'
  $bin/crm --data $device sync --watch
  CRM_PASSWORD=lili-demo-1 $bin/crm --data /tmp/lili login $url lili && $bin/crm --data /tmp/lili sync
The JSON API is in docs/api.md, the sync protocol in docs/protocol.md.
Stopping the sync server leaves the app running, offline; start it again with
  ${serve[*]}
and the app reconnects by itself.
Press Ctrl-C to stop.
MSG
# Runs as long as the app does, whatever happens to the server.
told=
while kill -0 "$ui_pid" 2>/dev/null; do
    if [ -z "$told" ] && ! kill -0 "$server" 2>/dev/null; then
        echo "== the sync server stopped: the app keeps working offline and reconnects when it is back"
        told=1
    fi
    sleep 1
done
wait "$ui_pid" || true
