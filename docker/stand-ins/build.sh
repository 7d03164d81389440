#!/usr/bin/env bash
# Builds the base images the Dockerfiles and docker-compose.yml name, locally, for a Docker engine
# that cannot reach an image registry (the test machines): `debian:bookworm-slim` (debootstrap
# --variant=minbase), `node:24-bookworm-slim` (that rootfs + the Node 24 binary of the `node`
# devDependency + npm + user `node` 1000:1000, the official image's layout) and `nats:2.10-alpine`
# (that rootfs + the apt nats-server binary + busybox wget for the healthcheck). They are stand-ins
# for the test, not what users pull: users get the official images from Docker Hub.
#
# Usage: build.sh CACHE_DIR   (needs root, debootstrap, and DOCKER_HOST pointing at the engine)
# The rootfs is kept in CACHE_DIR and the images are skipped when their inputs have not changed.
set -euo pipefail
cache="$(mkdir -p "$1" && cd "$1" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

node_bin="$repo/node_modules/node/bin/node"
[ -x "$node_bin" ] || { echo "no Node 24 binary at $node_bin (run npm ci)" >&2; exit 1; }
npm_dir="$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)"
nats_bin="$(command -v nats-server || echo /usr/sbin/nats-server)"
[ -x "$nats_bin" ] || { echo "no nats-server binary (apt-get install nats-server)" >&2; exit 1; }

# What each image is made of: a change rebuilds it.
script_sum="$(sha256sum "$0" | cut -c1-16)"
node_tag="$script_sum-$("$node_bin" --version)-npm$(node "$npm_dir/bin/npm-cli.js" --version 2>/dev/null || echo x)"
nats_tag="$script_sum-$("$nats_bin" --version 2>&1 | head -1 | tr -c 'A-Za-z0-9.\n' _)"
debian_tag="$script_sum"

label() { docker image inspect -f '{{index .Config.Labels "org.bitween.stand-in"}}' "$1" 2>/dev/null || true; }

rootfs="$cache/rootfs-bookworm"
if [ ! -f "$rootfs/.complete" ]; then
  # (--one-file-system: an interrupted debootstrap may have left proc/sys mounted inside)
  rm -rf --one-file-system "$rootfs" "$rootfs.tmp"
  echo "debootstrap bookworm (minbase) into $rootfs"
  debootstrap --variant=minbase --include=busybox bookworm "$rootfs.tmp" http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1 \
    || { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
  # What debian:bookworm-slim leaves out: package caches, lists, docs, translations.
  rm -rf "$rootfs.tmp"/var/cache/apt/*.bin "$rootfs.tmp"/var/cache/apt/archives/*.deb \
    "$rootfs.tmp"/var/lib/apt/lists/* "$rootfs.tmp"/usr/share/doc/* "$rootfs.tmp"/usr/share/man/* \
    "$rootfs.tmp"/usr/share/locale/* "$rootfs.tmp"/var/log/*.log
  touch "$rootfs.tmp/.complete"
  mv "$rootfs.tmp" "$rootfs"
fi

# This machine's CA bundle, when it has one: a TLS-inspecting proxy in front of the npm registry
# needs its CA trusted inside the build too (Node reads NODE_EXTRA_CA_CERTS).
ca_file="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
ca_env=()
if [ -f "$ca_file" ]; then
  mkdir -p "$rootfs/etc/ssl/certs" && cp "$ca_file" "$rootfs/etc/ssl/certs/host-ca-bundle.crt"
  ca_env=(--change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-ca-bundle.crt')
fi

import() { # import TAG LABEL DIR CMD
  tar --numeric-owner -C "$3" -c . | docker import \
    --change "LABEL org.bitween.stand-in=$2" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "${ca_env[@]}" --change "CMD $4" - "$1" >/dev/null
  echo "built stand-in $1"
}

if [ "$(label debian:bookworm-slim)" != "$debian_tag" ]; then
  import debian:bookworm-slim "$debian_tag" "$rootfs" '["bash"]'
fi

if [ "$(label node:24-bookworm-slim)" != "$node_tag" ]; then
  dir="$cache/rootfs-node"
  rm -rf "$dir" && cp -a "$rootfs" "$dir"
  rm -f "$dir/.complete"
  install -m 0755 "$node_bin" "$dir/usr/local/bin/node"
  strip --strip-debug "$dir/usr/local/bin/node" 2>/dev/null || true
  mkdir -p "$dir/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$dir/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$dir/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$dir/usr/local/bin/npx"
  echo 'node:x:1000:' >>"$dir/etc/group"
  echo 'node:x:1000:1000::/home/node:/bin/bash' >>"$dir/etc/passwd"
  mkdir -p "$dir/home/node" && chown 1000:1000 "$dir/home/node"
  import node:24-bookworm-slim "$node_tag" "$dir" '["node"]'
  rm -rf "$dir"
fi

if [ "$(label nats:2.10-alpine)" != "$nats_tag" ]; then
  dir="$cache/rootfs-nats"
  rm -rf "$dir" && cp -a "$rootfs" "$dir"
  rm -f "$dir/.complete"
  install -m 0755 "$nats_bin" "$dir/usr/local/bin/nats-server"
  ln -sf /bin/busybox "$dir/usr/bin/wget"
  import nats:2.10-alpine "$nats_tag" "$dir" '["nats-server"]'
  rm -rf "$dir"
fi
