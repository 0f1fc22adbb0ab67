#!/bin/sh
# Installs the dps-private-link device app as a hardened systemd service on a Raspberry Pi (or any Debian-like host).
#
#   sudo sh install.sh <package>      <package>: a release tarball (./dps-private-link-0.1.0.tgz), a git URL
#                                     (git+https://github.com/dps-private-link/dps-private-link.git) or, once
#                                     published, dps-private-link
#   sh install.sh --dry-run <package> prints every command it would run, changes nothing (no root needed)
#   sudo sh install.sh --help
#
# Creates the service user dps-device, installs the package into /opt/dps-private-link, lays out
# /etc/dps-private-link (root:dps-device 0750; certificates and key 0640, never world-readable) and
# /var/lib/dps-private-link (dps-device 0700), installs and enables the unit. Re-running it upgrades the package
# and never overwrites device.json, device.env or the certificates.
set -eu

APP_DIR=/opt/dps-private-link
CONF_DIR=/etc/dps-private-link
STATE_DIR=/var/lib/dps-private-link
SERVICE_USER=dps-device
UNIT=/etc/systemd/system/dps-private-link.service

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
fail() { echo "install.sh: $*" >&2; exit 2; }
# Every change to the host goes through run, so --dry-run can show the whole plan without making any of it.
run() {
  if [ "$DRY_RUN" = 1 ]; then echo "+ $*"; else "$@"; fi
}

DRY_RUN=0
[ "${1:-}" = --dry-run ] && { DRY_RUN=1; shift; }
case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  '') fail "missing <package>: pass a release tarball, a git URL or dps-private-link (see --help)" ;;
esac
PKG=$1
[ "$DRY_RUN" = 1 ] || [ "$(id -u)" = 0 ] ||
  fail "run as root (sudo sh install.sh $PKG): it creates a user and writes /etc, /opt, /var/lib"
command -v node >/dev/null || fail "node not found: install Node.js 20 or later first (see the README)"
command -v npm >/dev/null || fail "npm not found: install it with Node.js (the NodeSource nodejs package has it)"
command -v systemctl >/dev/null || fail "systemctl not found: this script installs a systemd service"
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || fail "node $(node --version) is too old: install Node.js 20 or later"
case "$PKG" in
  *.tgz|./*|/*) [ -r "$PKG" ] || fail "$PKG: no such file: pass the path of the release tarball" ;;
esac

# 1. The service user: no login, no home, its own group (the group that may read the certificates).
if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
  run useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$SERVICE_USER"
fi

# 2. The package and its dependencies, owned by root: the service cannot modify its own code.
run install -d -m 0755 -o root -g root "$APP_DIR"
[ -f "$APP_DIR/package.json" ] || run sh -c "echo '{ \"private\": true }' >$APP_DIR/package.json"
run npm install --prefix "$APP_DIR" --omit=dev --no-audit --no-fund "$PKG"
APP="$APP_DIR/node_modules/dps-private-link/samples/raspberry-pi"

# 3. Configuration: readable by the service group only. Certificates and key 0640 root:dps-device.
run install -d -m 0750 -o root -g "$SERVICE_USER" "$CONF_DIR" "$CONF_DIR/certs"
if [ ! -f "$CONF_DIR/device.json" ]; then
  run install -m 0640 -o root -g "$SERVICE_USER" "$APP/device.example.json" "$CONF_DIR/device.json"
  [ "$DRY_RUN" = 1 ] || echo "install.sh: wrote $CONF_DIR/device.json from the example: edit it before starting the service"
fi
if [ ! -f "$CONF_DIR/device.env" ]; then
  run install -m 0640 -o root -g "$SERVICE_USER" /dev/null "$CONF_DIR/device.env"
fi
for f in "$CONF_DIR"/certs/*; do
  [ -f "$f" ] || continue
  run chown root:"$SERVICE_USER" "$f"
  run chmod 0640 "$f"
done

# 4. State: the cached assignment, writable by the service user only (systemd's StateDirectory= does the same).
run install -d -m 0700 -o "$SERVICE_USER" -g "$SERVICE_USER" "$STATE_DIR"

# 5. The unit.
run install -m 0644 -o root -g root "$APP/dps-private-link.service" "$UNIT"
run sed -i "s|^ExecStart=/usr/bin/node |ExecStart=$(command -v node) |" "$UNIT"
run systemctl daemon-reload
run systemctl enable dps-private-link.service
if [ "$DRY_RUN" = 1 ]; then
  echo "install.sh: dry run: nothing was changed"
  exit 0
fi
cat <<DONE
install.sh: installed. Next:
  1. put the device certificate and key in $CONF_DIR/certs/
     and run this script again (it fixes their owners and modes)
  2. edit $CONF_DIR/device.json; an encrypted key's passphrase
     goes in $CONF_DIR/device.env as DPS_KEY_PASSPHRASE=...
  3. check the path first:
     sudo -u $SERVICE_USER $APP_DIR/node_modules/.bin/dps-check \\
       --config $CONF_DIR/device.json
  4. start it:
     systemctl start dps-private-link && journalctl -u dps-private-link -f
DONE
