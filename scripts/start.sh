#!/usr/bin/env bash
# Build Field CRM and start it with demo data.
#
# Today that is the local-first core: a store in $CRM_DATA (default
# ~/.local/share/field-crm) filled with generated demo data, and the `crm` command to use it.
# The sync server and the desktop app are being built (see ARCHITECTURE.md); this script will
# start them too as they land.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fieldcrm-target}"

echo "== building (the first build takes a few minutes)"
cargo build --release --locked -p crm-core --bin crm
crm="$CARGO_TARGET_DIR/release/crm"
data="${CRM_DATA:-$HOME/.local/share/field-crm}"
mkdir -p "$data"

if [ ! -s "$data/crm.sqlite3" ] || [ "$("$crm" --data "$data" call '{"op":"list","kind":"customer","limit":1}' | grep -c '"total":0')" = 1 ]; then
    echo "== adding demo data to $data"
    "$crm" --data "$data" demo --customers "${DEMO_CUSTOMERS:-500}"
fi

echo "== newest customers"
"$crm" --data "$data" customers --limit 10
cat <<MSG

Field CRM's local store is ready in $data.
Try:
  $crm --data $data search 陈
  $crm --data $data show <id>
  $crm --data $data call '{"op":"follow_ups","by":"$(date -u +%Y-%m-%d)","all_owners":true}'
  $crm --help
The request/response JSON is documented in docs/api.md.
MSG
