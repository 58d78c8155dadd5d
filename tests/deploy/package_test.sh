#!/usr/bin/env bash
# The Debian package: built by CPack, lintian-clean of errors, its unit
# accepted by systemd-analyze, installed into and purged from a throwaway
# root with dpkg --root, leaving the host untouched.
#   tests/deploy/package_test.sh BUILD_DIR
set -euo pipefail
build="$(cd "$1" && pwd)"
fail() { echo "FAIL: $*" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# dpkg installs as root; fakeroot lets a non-root run do the same in the root.
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(fakeroot)

(cd "$build" && cpack -G DEB -B "$work/out" >/dev/null)
deb="$(ls "$work"/out/ilp-sync_*.deb)"
[ -f "$deb" ] || fail "cpack made no package"

# Dependencies come from dpkg-shlibdeps: the real runtime libraries.
depends="$(dpkg-deb -f "$deb" Depends)"
for lib in 'libc6 (>=' 'libgrpc++1.51' 'libsodium23' 'libssl3' 'libcurl4' 'ca-certificates'; do
  case "$depends" in *"$lib"*) ;; *) fail "Depends lacks $lib: $depends" ;; esac
done

# lintian: no errors (warnings are listed in docs/deployment.md).
lintian --fail-on error "$deb" 2>&1 | grep -v 'running with root privileges' || true
lintian --fail-on error "$deb" >/dev/null 2>&1 || fail "lintian reports errors"

root="$work/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/etc"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
host_passwd="$(md5sum /etc/passwd)"
dpkg_root=("${as_root[@]}" dpkg --root="$root" --force-script-chrootless --force-depends)
"${dpkg_root[@]}" -i "$deb" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "dpkg -i"; }

for f in usr/bin/ilp-node usr/bin/ilpctl lib/systemd/system/ilp-node.service \
         usr/lib/sysusers.d/ilp-sync.conf usr/share/man/man1/ilp-node.1.gz usr/share/man/man1/ilpctl.1.gz \
         usr/share/doc/ilp-sync/copyright usr/share/doc/ilp-sync/examples/belu.textproto; do
  [ -e "$root/$f" ] || fail "not installed: /$f"
done
grep -q '^ilp:' "$root/etc/passwd" || fail "postinst did not create the ilp user"
[ -L "$root/etc/systemd/system/multi-user.target.wants/ilp-node.service" ] || fail "unit not enabled"
[ "$(md5sum /etc/passwd)" = "$host_passwd" ] || fail "installing into the root changed the host's /etc/passwd"
"$root/usr/bin/ilpctl" --help >/dev/null || fail "the installed ilpctl does not run"

# The unit as installed, with ExecStart pointing into the root (the host has
# no /usr/bin/ilp-node): any warning fails.
sed "s|/usr/bin/ilp-node|$root/usr/bin/ilp-node|" "$root/lib/systemd/system/ilp-node.service" \
  >"$work/ilp-node.service"
out="$(systemd-analyze verify --man=no "$work/ilp-node.service" 2>&1)" || fail "systemd-analyze: $out"
[ -z "$out" ] || fail "systemd-analyze: $out"

"${dpkg_root[@]}" -P ilp-sync >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg -P"; }
for f in usr/bin/ilp-node lib/systemd/system/ilp-node.service etc/systemd/system/multi-user.target.wants/ilp-node.service; do
  [ ! -e "$root/$f" ] && [ ! -L "$root/$f" ] || fail "left behind after purge: /$f"
done
status="$(dpkg --root="$root" -s ilp-sync 2>&1 || true)"
case "$status" in *"install ok installed"*) fail "still installed after purge" ;; esac
echo "package ok: $(basename "$deb"), installed and purged in a throwaway root"
