#!/usr/bin/env bash
# Build the packages into dist/: the sync server as a .deb with its systemd unit (dpkg-deb),
# and the app as a .deb (Tauri's bundler). Release builds: about 15 minutes from cold on 2
# cores. Usage: bash scripts/package.sh [server|app|all]   (default all)
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fieldcrm-target}"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' sync-server/Cargo.toml | head -1)"
arch="$(dpkg --print-architecture)"
mkdir -p dist

if [ "$what" = server ] || [ "$what" = all ]; then
    echo "== sync-server $version (release)"
    cargo build --release --locked -p sync-server --bin sync-server
    root="$(mktemp -d)"
    trap 'rm -rf "$root"' EXIT
    chmod 0755 "$root"
    install -d "$root/usr/bin"
    # Without the debug information the release profile keeps for profiling.
    strip --strip-debug -o "$root/usr/bin/sync-server" "$CARGO_TARGET_DIR/release/sync-server"
    chmod 0755 "$root/usr/bin/sync-server"
    install -D -m 0644 packaging/server/field-crm-server.service "$root/lib/systemd/system/field-crm-server.service"
    install -D -m 0644 packaging/server/server.env "$root/etc/field-crm/server.env"
    install -D -m 0644 docs/deploy.md "$root/usr/share/doc/field-crm-server/deploy.md"
    install -D -m 0644 docs/protocol.md "$root/usr/share/doc/field-crm-server/protocol.md"
    install -d "$root/DEBIAN"
    install -m 0644 packaging/server/DEBIAN/conffiles "$root/DEBIAN/conffiles"
    install -m 0755 packaging/server/DEBIAN/postinst packaging/server/DEBIAN/prerm packaging/server/DEBIAN/postrm "$root/DEBIAN/"
    size="$(du -sk "$root" | cut -f1)"
    cat >"$root/DEBIAN/control" <<CONTROL
Package: field-crm-server
Version: $version
Architecture: $arch
Maintainer: Field CRM maintainers <maintainers@field-crm.invalid>
Depends: libc6 (>= 2.31), libssl3 | libssl3t64, adduser, systemd
Installed-Size: $size
Section: net
Priority: optional
Description: Field CRM sync server
 The WebSocket sync server of Field CRM, a local-first CRM: devices sync their
 records through it, it enforces who may read and write what, and it keeps the
 audit log and backups. Runs as the field-crm-server systemd service; settings in
 /etc/field-crm/server.env.
CONTROL
    dpkg-deb --root-owner-group --build "$root" "dist/field-crm-server_${version}_${arch}.deb"
fi

if [ "$what" = app ] || [ "$what" = all ]; then
    echo "== the app (release, Tauri's bundler)"
    (cd ui && npm run --silent build)
    # The bundler builds the release binary with the UI embedded, then the .deb.
    (cd src-tauri && ../ui/node_modules/.bin/tauri build --bundles deb --config '{"bundle": {"active": true}}')
    # The release profile keeps debug information for profiling; the package does without it.
    for deb in "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb; do
        unpacked="$(mktemp -d)"
        dpkg-deb -R "$deb" "$unpacked"
        strip --strip-debug "$unpacked/usr/bin/field-crm"
        (cd "$unpacked" && find usr -type f -exec md5sum {} + >DEBIAN/md5sums)
        sed -i "s/^Installed-Size: .*/Installed-Size: $(du -sk --exclude=DEBIAN "$unpacked" | cut -f1)/" "$unpacked/DEBIAN/control"
        dpkg-deb --root-owner-group --build "$unpacked" "dist/$(basename "$deb")"
        rm -rf "$unpacked"
    done
fi
ls -l dist/
