#!/usr/bin/env bash
# The one command that tests bitween on a fresh machine (Debian 12, root or sudo):
# installs what the tests need (apt: nats-server, prosody, ejabberd, openssl, docker-compose, docker.io,
# debootstrap, python3-libtorrent, transmission-cli, chromium; for the network lab: iptables,
# miniupnpd, miniupnpc, coturn, dnsmasq-base; for the benchmarks: transmission-daemon; npm ci, which also
# brings Node 24), then formats/lints/typechecks/builds every project and runs every test tier
# against real nats-server, Prosody and BitTorrent transfers. Ends with one line
# "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

step "system packages"
missing=()
command -v nats-server >/dev/null || missing+=(nats-server)
command -v prosody >/dev/null || missing+=(prosody)
command -v docker-compose >/dev/null || missing+=(docker-compose)
# The compose test (test-compose): a private dockerd, base images built with debootstrap.
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
# A real libtorrent for the interop and peer-filter tests (run with Debian's /usr/bin/python3).
/usr/bin/python3 -c 'import libtorrent' 2>/dev/null || missing+=(python3-libtorrent)
command -v transmission-remote >/dev/null || missing+=(transmission-cli)
command -v ejabberdctl >/dev/null || [ -x /usr/sbin/ejabberdctl ] || missing+=(ejabberd)
command -v openssl >/dev/null || missing+=(openssl)
# Debian's Chromium for the web UI's browser tests (driven by playwright-core).
command -v chromium >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || { echo "could not install ${missing[*]}"; echo "0 passed, 1 failed"; exit 1; }
fi
# The network lab (test/src/lab: namespaces, routers, needs root): iptables-legacy (Debian's
# miniupnpd-iptables writes through libiptc), miniupnpd (UPnP-IGD, NAT-PMP, PCP), upnpc, coturn
# (the lab's STUN server). The tests start their own daemons inside lab namespaces: neither package
# may start a system-wide one (coturn's default config listens on every interface), so debconf says
# no, a policy-rc.d refuses service starts during the install, and the units are disabled after.
lab_missing=()
[ -x /usr/sbin/iptables-legacy ] || lab_missing+=(iptables)
[ -x /usr/sbin/miniupnpd ] || lab_missing+=(miniupnpd-iptables miniupnpd)
command -v upnpc >/dev/null || lab_missing+=(miniupnpc)
command -v turnserver >/dev/null || lab_missing+=(coturn)
# The federation lab's DNS server (dnsmasq-base: the binary only, no system service).
[ -x /usr/sbin/dnsmasq ] || lab_missing+=(dnsmasq-base)
# transmission-daemon 3, the benchmarks' reference (bench:seeds, bench:idle start their own with a
# temp config dir); its package would start a system-wide daemon: installed with the same guard.
command -v transmission-daemon >/dev/null || lab_missing+=(transmission-daemon)
if [ ${#lab_missing[@]} -gt 0 ]; then
  echo "miniupnpd miniupnpd/start_daemon boolean false" | as_root debconf-set-selections
  guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    guard=1
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod 755 /usr/sbin/policy-rc.d
  fi
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${lab_missing[@]}" \
    || echo "could not install ${lab_missing[*]}: the network lab tests will skip"
  [ -n "$guard" ] && as_root rm -f /usr/sbin/policy-rc.d
  if [ -d /run/systemd/system ]; then
    as_root systemctl disable --now coturn miniupnpd transmission-daemon 2>/dev/null || true
  fi
fi
# nats-server lives in /usr/sbin, which a non-root PATH may lack.
export PATH="$PATH:/usr/sbin"

step "npm ci"
npm ci --no-audit --no-fund || { echo "npm ci failed"; echo "0 passed, 1 failed"; exit 1; }
# Node 24 comes from the `node` package: put node_modules/.bin first.
export PATH="$PWD/node_modules/.bin:$PATH"
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false CI="${CI:-true}"
# Run everything for real: nx's cache (kept in ~/.nx as well as .nx) would otherwise replay
# results from an earlier run on this machine, even in a fresh clone.
export NX_SKIP_NX_CACHE=true
echo "node $(node --version), $(nats-server --version 2>&1 | head -1), prosody $(dpkg-query -W -f="${Version}" prosody 2>/dev/null)"

rm -rf reports/static apps/*/test-results libs/*/test-results test/test-results
mkdir -p reports/static

# Each static check is one entry in the summary.
check() {
  local name="$1"; shift
  step "$name"
  if "$@"; then echo passed > "reports/static/$name"; else echo failed > "reports/static/$name"; fi
}

check format prettier --check .
check build nx run-many -t build --output-style=static
# README's and the api README's configuration tables and .env.example, from the built config schemas.
check config-docs node scripts/config-docs.mjs --check
# One version everywhere (workspaces, lock file, CHANGELOG.md): docs/releasing.md.
check release node scripts/check-release.mjs
check lint nx run-many -t lint --output-style=static
check typecheck nx run-many -t typecheck --output-style=static
check compose docker-compose --env-file .env.example --profile demo config -q

step "tests (unit, real-dependency, end-to-end)"
nx run-many -t test --parallel=1 --output-style=static
node scripts/test-summary.mjs
