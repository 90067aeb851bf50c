#!/usr/bin/env bash
# Prepares a fresh Debian machine to run Aduan (and, with --test, its test suite):
#   - Node.js >= 20.6 is checked (not installed: pick your own way to install Node);
#   - Debian's redis-server is installed when missing, because with no REDIS_URL Aduan starts its
#     own redis-server under DATA_DIR (and the integration tests always start real ones);
#   - with --test, Debian's chromium is installed when missing, for the browser tests;
#   - `npm ci` runs when node_modules is missing or older than package-lock.json.
# Safe to run again: every step checks first and says what it does. Runs from any directory.
set -euo pipefail

usage() {
  echo "usage: bash scripts/setup.sh [--test]"
  echo "  --test   also install what the test suite needs (chromium for browser tests)"
}

with_test=0
for arg in "$@"; do
  case "$arg" in
    --test) with_test=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "setup: unknown option: $arg" >&2; usage >&2; exit 2 ;;
  esac
done

# The repository root is the parent of this script's directory, wherever we are called from.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
echo "setup: in $(pwd)"

# --- Node.js --------------------------------------------------------------------------------
# 20.6 is the first 20.x with the module.register() hooks that tsx relies on (package.json engines).
if ! command -v node >/dev/null 2>&1; then
  echo "setup: node not found. Install Node.js 20.6 or newer (e.g. from https://nodejs.org or NodeSource)." >&2
  exit 1
fi
node_version="$(node --version)"
if ! node -e '
  const [major, minor] = process.versions.node.split(".").map(Number);
  process.exit(major > 20 || (major === 20 && minor >= 6) ? 0 : 1);
'; then
  echo "setup: Node.js $node_version is too old; Aduan needs 20.6 or newer." >&2
  exit 1
fi
echo "setup: node $node_version ok"

# --- Debian packages ------------------------------------------------------------------------
packages=()
if command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ]; then
  echo "setup: redis-server ok ($(command -v redis-server || echo /usr/bin/redis-server))"
elif [ -n "${REDIS_URL:-}" ] && [ "$with_test" -eq 0 ]; then
  # The service uses that Redis and never starts its own; only the tests need the binary.
  echo "setup: redis-server not installed; not needed because REDIS_URL is set"
else
  packages+=(redis-server)
fi
if [ "$with_test" -eq 1 ]; then
  if [ -x /usr/bin/chromium ]; then
    echo "setup: chromium ok (/usr/bin/chromium)"
  else
    packages+=(chromium)
  fi
fi

if [ "${#packages[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    {
      echo "setup: missing: ${packages[*]}"
      if ! command -v apt-get >/dev/null 2>&1; then
        echo "  This is not a Debian/Ubuntu system (no apt-get): install ${packages[*]} with your package manager."
      else
        echo "  Run this script as root, or install them yourself:"
        echo "    sudo apt-get update && sudo apt-get install -y ${packages[*]}"
      fi
      if [[ " ${packages[*]} " == *" redis-server "* ]]; then
        echo "  Or, instead of redis-server, set REDIS_URL to a Redis 7 you already run (tests still need redis-server)."
      fi
    } >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  echo "setup: apt-get update"
  apt-get update
  echo "setup: apt-get install ${packages[*]}"
  apt-get install -y --no-install-recommends "${packages[@]}"
  if [[ " ${packages[*]} " == *" redis-server "* ]]; then
    # On a machine with systemd the package also enables its own service on 127.0.0.1:6379.
    echo "setup: note: Aduan does not use Debian's redis-server service; it starts its own under DATA_DIR."
    echo "       If you do not want that service: systemctl disable --now redis-server"
  fi
fi

# --- npm dependencies -------------------------------------------------------------------------
# npm ci writes node_modules/.package-lock.json, so a lock file newer than it means the installed
# tree may not match. (npm 11 may warn "Unknown user config nodedir": harmless.)
if [ ! -d node_modules ]; then
  echo "setup: npm ci (node_modules is missing)"
  npm ci
elif [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci (package-lock.json is newer than node_modules)"
  npm ci
else
  echo "setup: node_modules ok"
fi

echo "setup: done"
