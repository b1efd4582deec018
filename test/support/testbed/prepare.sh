#!/usr/bin/env bash
# Prepare the test bed's container parts, once per machine (cached in TESTBED_CACHE, default
# <repo>/.cache/testbed, git-ignored): the package index (wheels repacked from Debian), the
# stand-in for python:3.X-slim, the index server on 127.0.0.1:$TESTBED_INDEX_PORT, and dockerd.
# A part is rebuilt only when the script that builds it changed. Run by scripts/test.sh before
# vitest and again (a no-op when ready) by the tests' global setup.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cache=${TESTBED_CACHE:-$repo/.cache/testbed}
port=${TESTBED_INDEX_PORT:-3141}
base_image=django-deploy-testbed/python-base:trixie
mkdir -p "$cache"

# A part's key is its script's content (never its path: checkouts in other folders share the cache).
key() { cat "$@" | sha256sum | cut -c1-16; }

# One prepare at a time per cache: several test runs (or checkouts) may start at once. The lock is
# fd 9; the servers started below (dockerd, the index) outlive this script, so each closes fd 9
# (`9>&-`): a server holding it would make the next prepare wait for ever.
exec 9>"$cache/.prepare.lock"
if ! flock -n 9; then
  holder=$(cat "$cache/.prepare.pid" 2>/dev/null || echo '?')
  for waited in $(seq 10 10 1800); do
    echo "testbed: another prepare (pid $holder) is building $cache; waited ${waited} s …"
    flock -w 10 9 && break
    [ "$waited" = 1800 ] && { echo "testbed: gave up after 30 min waiting for pid $holder; if it is gone, delete $cache/.prepare.lock" >&2; exit 1; }
  done
fi
echo $$ >"$cache/.prepare.pid"

# --- dockerd (as the tests start PostgreSQL and sshd; never the default bridge: only --network host)
if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then echo "testbed: Docker is not running and this is not root: start dockerd, or set TEST_DOCKER=off" >&2; exit 1; fi
  echo "testbed: starting dockerd (log: $cache/dockerd.log) …"
  nohup dockerd --bridge=none --iptables=false --ip-masq=false >"$cache/dockerd.log" 2>&1 9>&- &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { tail -20 "$cache/dockerd.log" >&2; echo "testbed: dockerd did not start in 30 s" >&2; exit 1; }
fi

# --- the rootfs and the base image (python:3.X-slim stand-in) ----------------------------------
base_key=$(key "$here/build-base.sh")
if [ "$(cat "$cache/rootfs/.key" 2>/dev/null)" != "$base_key" ]; then
  rm -rf "$cache/rootfs"
  bash "$here/build-base.sh" "$cache" "$base_image"
  echo "$base_key" >"$cache/rootfs/.key"
elif ! docker image inspect "$base_image" >/dev/null 2>&1; then
  bash "$here/build-base.sh" "$cache" "$base_image"
fi

# --- the wheels and their PEP 503 pages, one folder per version of the script ------------------
# (checkouts with another build-wheels.py keep their own index beside this one instead of rebuilding it)
wheels_key=$(key "$here/build-wheels.py")
index_dir="$cache/index-$wheels_key"
if [ "$(cat "$index_dir/wheels/.key" 2>/dev/null)" != "$wheels_key" ]; then
  echo "testbed: repacking Debian's Python packages as wheels (a few minutes, once) …"
  mkdir -p "$index_dir"
  /usr/bin/python3 "$here/build-wheels.py" "$index_dir" "$cache/rootfs" >"$index_dir/wheels.log" 2>&1 ||
    { tail -30 "$index_dir/wheels.log" >&2; exit 1; }
  echo "$wheels_key" >"$index_dir/wheels/.key"
fi
echo "$wheels_key" >"$index_dir/simple/.testbed"
echo testbed >"$cache/.testbed-root"

# --- the index server: one per machine, serving every index folder of the cache, left running --
index="http://127.0.0.1:$port/index-$wheels_key/simple/"
pidfile=/tmp/django-deploy-testbed-index-$port.pid
if [ "$(curl -fsS "http://127.0.0.1:$port/.testbed-root" 2>/dev/null || true)" != testbed ] ||
  [ "$(curl -fsS "${index}.testbed" 2>/dev/null || true)" != "$wheels_key" ]; then
  # An index of ours from another cache: replace it.
  if [ -f "$pidfile" ] && grep -qs 'http.server' "/proc/$(cat "$pidfile")/cmdline"; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    for _ in $(seq 1 20); do curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null || break; sleep 0.25; done
  fi
  if curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; then
    echo "testbed: 127.0.0.1:$port answers but is not this test bed's index; stop that server or set TESTBED_INDEX_PORT" >&2
    exit 1
  fi
  nohup /usr/bin/python3 -m http.server --bind 127.0.0.1 --directory "$cache" "$port" >"$cache/index.log" 2>&1 9>&- &
  echo $! >"$pidfile"
  for _ in $(seq 1 40); do [ "$(curl -fsS "${index}.testbed" 2>/dev/null || true)" = "$wheels_key" ] && break; sleep 0.25; done
  [ "$(curl -fsS "${index}.testbed" 2>/dev/null || true)" = "$wheels_key" ] || { cat "$cache/index.log" >&2; exit 1; }
fi

# --- python:3.X-slim: the base image with pip pointed at the index ----------------------------
tag_key="$base_key-$wheels_key-$port"
if [ "$(docker image inspect -f '{{ index .Config.Labels "testbed.key" }}' python:3.12-slim 2>/dev/null || true)" != "$tag_key" ]; then
  build=$(mktemp -d)
  cat >"$build/Dockerfile" <<DOCKERFILE
FROM $base_image
LABEL testbed.key=$tag_key
RUN printf '[global]\nindex-url = $index\ndisable-pip-version-check = true\n' > /etc/pip.conf
# PDM reads its own setting, not pip.conf: on a real machine it would reach PyPI by default.
ENV PDM_PYPI_URL=$index
DOCKERFILE
  docker build -q --network host -t django-deploy-testbed/python:trixie "$build" >/dev/null 2>"$cache/tag-build.log" ||
    { cat "$cache/tag-build.log" >&2; exit 1; }
  rm -rf "$build"
  for minor in 8 9 10 11 12 13 14; do docker tag django-deploy-testbed/python:trixie "python:3.$minor-slim"; done
fi
echo "testbed: ready (index $index, images python:3.8-slim … python:3.14-slim = Debian trixie, Python $(docker run --rm --network host python:3.12-slim python -c 'import platform; print(platform.python_version())'))"
