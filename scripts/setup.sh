#!/usr/bin/env bash
# Install what building and testing Field CRM needs on Debian/Ubuntu, if it is missing:
# a C toolchain, the WebKitGTK libraries Tauri builds against, Xvfb and Chromium for the
# end-to-end tests, CJK fonts, pdftotext, PostgreSQL (for the tests of the server on it), Node.js
# with npm, and the UI's npm packages.
# Safe to run again: it only installs what is not there.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian package -> a file that is there once it is installed.
declare -A probe=(
    [build-essential]=/usr/bin/cc
    [pkg-config]=/usr/bin/pkg-config
    [libwebkit2gtk-4.1-dev]=/usr/lib/x86_64-linux-gnu/pkgconfig/webkit2gtk-4.1.pc
    [libjavascriptcoregtk-4.1-dev]=/usr/lib/x86_64-linux-gnu/pkgconfig/javascriptcoregtk-4.1.pc
    [libsoup-3.0-dev]=/usr/lib/x86_64-linux-gnu/pkgconfig/libsoup-3.0.pc
    [librsvg2-dev]=/usr/lib/x86_64-linux-gnu/pkgconfig/librsvg-2.0.pc
    [libayatana-appindicator3-dev]=/usr/lib/x86_64-linux-gnu/pkgconfig/ayatana-appindicator3-0.1.pc
    # OpenSSL's libcrypto: SQLCipher's cipher (the device's store encrypted at rest).
    [libssl-dev]=/usr/include/openssl/ssl.h
    # The app's keychain on Linux desktops (the Secret Service, over D-Bus).
    [libdbus-1-dev]=/usr/lib/x86_64-linux-gnu/pkgconfig/dbus-1.pc
    [file]=/usr/bin/file
    [xvfb]=/usr/bin/Xvfb
    [xauth]=/usr/bin/xauth
    [chromium]=/usr/bin/chromium
    [fonts-noto-cjk]=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
    # pdftotext: tests read the text of the PDFs the app makes.
    [poppler-utils]=/usr/bin/pdftotext
    # PostgreSQL: the tests start throwaway clusters with its initdb (the server's second
    # store, `tests/src/pg.rs`).
    [postgresql]=/usr/lib/postgresql
    [nodejs]=/usr/bin/node
    [npm]=/usr/bin/npm
)
need_apt=()
for pkg in "${!probe[@]}"; do
    [ -e "${probe[$pkg]}" ] || need_apt+=("$pkg")
done
# A Node.js that is already installed some other way is fine.
if command -v node >/dev/null 2>&1; then
    need_apt=("${need_apt[@]/nodejs/}")
fi
if command -v npm >/dev/null 2>&1; then
    need_apt=("${need_apt[@]/npm/}")
fi
read -r -a need_apt <<<"${need_apt[*]}"
if ((${#need_apt[@]})); then
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    echo "setup: installing ${need_apt[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: Rust is not installed. Install it with rustup (https://rustup.rs), then run this again:" >&2
    echo "  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile default" >&2
    exit 1
fi
for component in rustfmt clippy; do
    if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
        command -v rustup >/dev/null 2>&1 && rustup component add "$component"
    fi
done

# The UI's packages, exactly as locked.
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
    echo "setup: installing the UI's npm packages (ui/)"
    # `npm ci` installs exactly the lock file. Some npm configurations (e.g.
    # omit-lockfile-registry-resolved, as on our build machines) make it refuse a lock file
    # that lacks other platforms' optional packages; then `npm install --no-save` installs the
    # same locked versions without rewriting the lock file.
    (cd ui && { npm ci --no-audit --no-fund --loglevel=error 2>/dev/null || npm install --no-save --no-audit --no-fund --loglevel=error; })
fi
