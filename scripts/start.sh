#!/usr/bin/env bash
# Build and start Field CRM with demo data: the sync server (one SQLite file) with demo
# accounts, and a demo salesperson's device signed in, filled with demo customers and synced.
# The server keeps running until Ctrl-C. The desktop app is not built yet (see ARCHITECTURE.md);
# the `crm` command line is the client for now.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fieldcrm-target}"

echo "== building (the first build takes several minutes)"
cargo build --release --locked -p crm-core --bin crm -p sync-server --bin sync-server
bin="$CARGO_TARGET_DIR/release"
home="${FIELD_CRM_HOME:-$HOME/.local/share/field-crm}"
listen="${FIELD_CRM_LISTEN:-127.0.0.1:7878}"
url="http://$listen"
db="$home/server.sqlite3"
device="$home/devices/wangfang"
mkdir -p "$home/devices"

if [ ! -s "$db" ]; then
    echo "== creating the server database with demo accounts"
    SYNC_SERVER_PASSWORD=admin-demo-1 "$bin/sync-server" user add --db "$db" admin --role admin --name 管理员
    SYNC_SERVER_PASSWORD=lili-demo-1 "$bin/sync-server" user add --db "$db" lili --role supervisor --name 李丽 --team east
    SYNC_SERVER_PASSWORD=wangfang-demo-1 "$bin/sync-server" user add --db "$db" wangfang --role account_manager --name 王芳 --team east
fi

echo "== starting the sync server on $url"
"$bin/sync-server" serve --db "$db" --listen "$listen" 2>"$home/server.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/${listen%:*}/${listen#*:}") 2>/dev/null; then break; fi
    sleep 0.1
done

if [ ! -s "$device/crm.sqlite3" ] || ! "$bin/crm" --data "$device" call '{"op":"whoami"}' | grep -q '"role":"account_manager"'; then
    echo "== signing in the demo salesperson's device and adding demo customers"
    CRM_PASSWORD=wangfang-demo-1 "$bin/crm" --data "$device" login "$url" wangfang --device "demo laptop"
    "$bin/crm" --data "$device" demo --customers "${DEMO_CUSTOMERS:-300}" --users 0
fi
"$bin/crm" --data "$device" sync
"$bin/crm" --data "$device" customers --limit 10

cat <<MSG

Field CRM is running.
  sync server  $url  (database $db, log $home/server.log)
  accounts     admin / admin-demo-1, lili (supervisor) / lili-demo-1, wangfang (salesperson) / wangfang-demo-1
  device       $device (signed in as 王芳)

In another terminal:
  $bin/crm --data $device search 陈
  $bin/crm --data $device call '{"op":"follow_ups","by":"$(date -u +%Y-%m-%d)"}'
  $bin/crm --data $device sync --watch
  CRM_PASSWORD=lili-demo-1 $bin/crm --data /tmp/lili login $url lili && $bin/crm --data /tmp/lili sync
The JSON API is in docs/api.md, the sync protocol in docs/protocol.md.
Press Ctrl-C to stop the server.
MSG
wait "$server"
