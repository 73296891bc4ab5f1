#!/usr/bin/env bash
# Install and start a Docker engine (>= 24.0.6, compose v2) on a Debian 12 host, then wait for `docker info`.
#
# Debian bookworm's own docker.io is 20.10, which inspect-ai refuses. This adds a `trixie` source pinned at
# priority 100 and selects trixie per package, so libc6 and systemd stay on bookworm (no partial distro upgrade).
# Idempotent: does nothing when `docker info` already answers. Needs root (or sudo).
set -euo pipefail

log() { printf '[install-docker] %s\n' "$*" >&2; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

if docker info >/dev/null 2>&1; then
  log "docker engine already running: $(docker version --format '{{.Server.Version}}')"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1 || ! docker compose version >/dev/null 2>&1; then
  if [ ! -f /etc/apt/sources.list.d/trixie.sources ]; then
    log "adding the Debian trixie source, pinned at priority 100"
    $SUDO tee /etc/apt/sources.list.d/trixie.sources >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    $SUDO tee /etc/apt/preferences.d/trixie-pin >/dev/null <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
  fi
  log "apt-get update"
  $SUDO apt-get update -qq
  log "installing docker.io, docker-cli, docker-compose, docker-buildx from trixie, and debootstrap"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    docker.io/trixie docker-cli/trixie docker-compose/trixie docker-buildx/trixie \
    debootstrap iptables ca-certificates >/dev/null
fi

# A docker client earlier on PATH (e.g. /usr/local/bin/docker) must not shadow the engine's own CLI plugins.
mkdir -p "${HOME}/.docker/cli-plugins"
for plugin in docker-compose docker-buildx; do
  src="/usr/libexec/docker/cli-plugins/${plugin}"
  [ -x "$src" ] && ln -sf "$src" "${HOME}/.docker/cli-plugins/${plugin}"
done

if ! pgrep -x dockerd >/dev/null 2>&1; then
  log "starting dockerd in the background (log: /var/log/dockerd.log)"
  $SUDO sh -c 'nohup dockerd >/var/log/dockerd.log 2>&1 &'
fi

for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    log "docker engine $(docker version --format '{{.Server.Version}}') is up; $(docker compose version)"
    exit 0
  fi
  sleep 1
done
log "dockerd did not answer within 60 s; see /var/log/dockerd.log"
exit 1
