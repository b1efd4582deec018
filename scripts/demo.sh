#!/usr/bin/env bash
# README's demo command (`npm run demo`): build the bundled example site with action-static's
# bundle (dist/index.js), provider: directory. No account, no network but Debian's archive and the
# npm registry, and only when something is missing:
#   - Node 24: installed into .tools/node24 from the npm package "node" when `node` is older;
#   - Python 3 with Django 4.2: Debian's python3-django from bookworm-backports, installed when
#     this runs as root (or with sudo); otherwise the demo prints the exact commands and stops.
set -euo pipefail
cd "$(dirname "$0")/.."

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 24 ]; then
  if [ ! -x .tools/node24/node_modules/.bin/node ]; then
    echo "demo: Node $(node --version 2>/dev/null || echo '(none)') found; installing Node 24 into .tools/node24 (npm package \"node\") …"
    npm install --no-save --no-audit --no-fund --prefix .tools/node24 node@24 >/dev/null
  fi
  export PATH="$PWD/.tools/node24/node_modules/.bin:$PATH"
fi

has_django() { for python in python3 /usr/bin/python3; do "$python" -c 'import django' 2>/dev/null && return 0; done; return 1; }
if ! has_django; then
  install_django='apt-get update && apt-get install -y -t bookworm-backports python3-django'
  backports='echo "deb http://deb.debian.org/debian bookworm-backports main" > /etc/apt/sources.list.d/bookworm-backports.list'
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "demo: no python3 with Django; installing Debian's python3-django (Django 4.2, bookworm-backports) …"
    grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/ || sh -c "$backports"
    DEBIAN_FRONTEND=noninteractive sh -c "$install_django" >/dev/null
  else
    echo "demo: no python3 with Django 4.2 found. On Debian bookworm, as root:" >&2
    echo "  $backports" >&2
    echo "  $install_django" >&2
    echo "(or, in a virtualenv: pip install 'Django>=4.2,<5')" >&2
    exit 1
  fi
fi

exec node action-static/demo.mjs
