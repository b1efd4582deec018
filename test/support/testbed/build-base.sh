#!/usr/bin/env bash
# Build the stand-in for the official python:3.X-slim images: a minimal Debian trixie made with
# debootstrap (Debian's archive is reachable, the image registry is not), laid out as the official
# images are (python, python3, pip and pip3 in /usr/local/bin; pip installs system-wide, with no
# EXTERNALLY-MANAGED marker; LANG=C.UTF-8), imported into Docker as IMAGE.
#
#   build-base.sh CACHE_DIR IMAGE
#
# Like the official slim images it holds Python, pip and venv and nothing else: no Django, no
# gunicorn, no libpq, no compiler. What differs is in test/README.md.
set -euo pipefail
cache=$1
image=$2
rootfs="$cache/rootfs"

if [ ! -f "$rootfs/.complete" ]; then
  rm -rf "$rootfs"
  echo "testbed: debootstrap trixie (minbase + python3, venv, pip) into $rootfs …"
  debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
    trixie "$rootfs" http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1 ||
    { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
  ln -sf /usr/bin/python3 "$rootfs/usr/local/bin/python"
  ln -sf /usr/bin/python3 "$rootfs/usr/local/bin/python3"
  ln -sf /usr/bin/pip3 "$rootfs/usr/local/bin/pip"
  ln -sf /usr/bin/pip3 "$rootfs/usr/local/bin/pip3"
  rm -f "$rootfs"/usr/lib/python3*/EXTERNALLY-MANAGED
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  touch "$rootfs/.complete"
fi

echo "testbed: docker import $image …"
tar -C "$rootfs" --exclude=./.complete -c . |
  docker import \
    --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    - "$image" >/dev/null
