#!/usr/bin/env bash
# build.sh: the x86 guest kit, built from Debian packages on this machine: SeaBIOS, the 686
# kernel and its virtio/9p modules, busybox-static:i386, and the shim (shim.c, compiled with
# clang against musl:i386), packed into an initramfs, booted once under v86 in Node and saved
# as a gzip state per guest memory size. Containers start from that state.
#
# Usage: bash scripts/guest-kit/build.sh [--public DIR]
#   --public DIR   also copy what the browser needs (kit.json, the states) there (default: demo/public/guest)
# Env:   GUEST_KIT_MEMORY_MIB="128 256"   guest RAM sizes to save states for (default 128)
#
# Output (.cache/guest-kit/): kit.json, state-<MiB>.gzip, bios.bin, vgabios.bin, vmlinuz,
# initrd.gz, shim; debs/ caches the downloads. A stamp over the inputs (this script, the shim,
# the boot code, package versions, the v86 build) makes a rerun with the same inputs a no-op.
set -euo pipefail
export LC_ALL=C

log() { printf '[guest-kit] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$ROOT/.cache/guest-kit
PUBLIC=$ROOT/demo/public/guest
while [ $# -gt 0 ]; do
  case $1 in
    --public) PUBLIC=${2:?--public needs a directory}; shift 2 ;;
    --public=*) PUBLIC=${1#*=}; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
MEMORY=${GUEST_KIT_MEMORY_MIB:-128}
for m in $MEMORY; do [[ $m =~ ^[0-9]+$ ]] && [ "$m" -ge 32 ] || die "GUEST_KIT_MEMORY_MIB: '$m' is not a size in MiB (>= 32)"; done

missing=()
for c in apt-get apt-cache dpkg clang ld.lld gzip node sha256sum flock; do command -v "$c" > /dev/null || missing+=("$c"); done
[ ${#missing[@]} -eq 0 ] || die "missing commands: ${missing[*]} (Debian: apt-get install clang lld)"
dpkg --print-foreign-architectures | grep -qx i386 || die "the i386 architecture is not enabled: dpkg --add-architecture i386 && apt-get update"
TSX=$ROOT/node_modules/.bin/tsx
[ -x "$TSX" ] || die "node_modules is missing: run npm ci"
V86_VERSION=$(node -p "require('$ROOT/node_modules/v86/package.json').version")

# Kernels: every 6.1 686 kernel that linux-image-686:i386 names in the package index, newest
# first (today bookworm-security's, then bookworm's own). Any 6.1 kernel is accepted, and proved:
# the build boots it, loads the modules its own dependency data asks for, and runs a container
# on a 9p root (check.ts). When the newest fails that proof the next is tried, loudly; when none
# passes, the build fails naming each kernel and the step. GUEST_KIT_KERNEL=linux-image-…-686
# takes that one kernel only.
# A 9p root over virtio-pci, the virtio NIC (net_failover, failover come in as its dependencies),
# and the virtio console the shim sends its frames over.
ROOT_MODULES=(9p 9pnet_virtio virtio_pci virtio_net virtio_console)
abi_of() { apt-cache depends "linux-image-686:i386=$1" 2> /dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*-686\).*/\1/p' | head -1; }
candidate() { apt-cache policy "$1" | sed -n 's/^ *Candidate: //p'; }
installed() { dpkg-query -W -f='${Version}' "$1" 2> /dev/null || true; }
KERNELS=()
if [ -n "${GUEST_KIT_KERNEL:-}" ]; then
  KERNELS=("${GUEST_KIT_KERNEL%:i386}")
else
  for v in $(apt-cache madison linux-image-686:i386 2> /dev/null | awk -F'|' '{gsub(/ /, "", $2); print $2}'); do
    k=$(abi_of "$v")
    [ -n "$k" ] && [[ " ${KERNELS[*]} " != *" $k "* ]] && KERNELS+=("$k")
  done
fi
[ ${#KERNELS[@]} -gt 0 ] || die "no linux-image-686:i386 in the package index: apt-get update (with i386 enabled)"
KPKGS=()
for k in "${KERNELS[@]}"; do
  [[ $k == linux-image-6.1.* ]] || { log "skipping $k: the kit takes 6.1 kernels (Debian 12's series)"; continue; }
  v=$(candidate "$k:i386")
  [ -n "$v" ] && [ "$v" != "(none)" ] || die "package $k:i386 is not in the package index (apt-get update?)"
  KPKGS+=("$k:i386=$v")
done
[ ${#KPKGS[@]} -gt 0 ] || die "no 6.1 686 kernel among: ${KERNELS[*]}"
# busybox: the installed version when there is one, so the kit's matches the fixture image's.
BB_VERSION=$(installed busybox-static:i386)
[ -n "$BB_VERSION" ] || BB_VERSION=$(candidate busybox-static:i386)
PKGS=("seabios=$(candidate seabios)" "busybox-static:i386=$BB_VERSION" "musl-dev:i386=$(candidate musl-dev:i386)")
for p in "${PKGS[@]}"; do
  [ -n "${p##*=}" ] && [ "${p##*=}" != "(none)" ] || die "package ${p%=*} is not in the package index (apt-get update?)"
done
CLANG_VERSION=$(clang --version | sed -n '1s/.*clang version \([0-9.]*\).*/\1/p')

STAMP=$({
  for f in "${BASH_SOURCE[0]}" "$HERE"/shim.c "$HERE"/boot.ts "$HERE"/check.ts "$HERE"/module-order.ts "$HERE"/initramfs.ts \
    "$ROOT"/node/x86/guest-options.ts "$ROOT"/node/x86/channel.ts; do
    echo "$f"; cat "$f"
  done
  printf '%s\n' "${KPKGS[@]}" "${PKGS[@]}" "v86=$V86_VERSION" "memory=$MEMORY" "$(clang --version | head -1)"
} | sha256sum | cut -d' ' -f1)

install_public() {
  [ -n "$PUBLIC" ] || return 0
  if [ -f "$PUBLIC/kit.json" ] && cmp -s "$OUT/kit.json" "$PUBLIC/kit.json"; then
    log "browser copy up to date in $PUBLIC"; return 0
  fi
  local tmp; tmp=$(mktemp -d "${PUBLIC%/}.tmp.XXXXXX")
  cp "$OUT"/state-*.gzip "$tmp/" # a restore needs no BIOS or kernel: they are in the state
  cp "$OUT"/kit.json "$tmp/" # last: its presence means the copy is complete
  chmod 0755 "$tmp"
  rm -rf "$PUBLIC"
  mv "$tmp" "$PUBLIC"
  log "browser copy written to $PUBLIC"
}
up_to_date() { [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$STAMP" ] && [ -f "$OUT/kit.json" ]; }
if up_to_date; then log "up to date ($OUT)"; install_public; exit 0; fi

mkdir -p "$OUT"
exec 9> "$OUT/.lock"
flock 9
if up_to_date; then log "up to date ($OUT, built by a concurrent run)"; install_public; exit 0; fi
T0=$(date +%s%N)
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
W=$(mktemp -d "$OUT/.build.XXXXXX")
trap 'rm -rf "$W"' EXIT

# ---------------------------------------------------------------- packages
mkdir -p "$OUT/debs"
deb_of() { # name=version -> the cached .deb's path (downloaded once)
  local name=${1%%=*} version=${1##*=} arch=i386 deb
  name=${name%:i386}
  [ "$name" = seabios ] && arch=all
  deb="$OUT/debs/${name}_${version//:/%3a}_$arch.deb"
  if [ ! -f "$deb" ]; then
    log "apt-get download $1"
    (cd "$OUT/debs" && apt-get download -o APT::Sandbox::User=root "$1" > /dev/null) || { log "apt-get download $1 failed"; return 1; }
  fi
  [ -f "$deb" ] || { log "apt-get download $1 did not give $deb"; return 1; }
  echo "$deb"
}
X=$W/x
for p in "${PKGS[@]}"; do
  name=${p%%=*}; name=${name%:i386}
  deb=$(deb_of "$p") || die "cannot download $p"
  mkdir -p "$X/$name"
  dpkg -x "$deb" "$X/$name"
done

# ---------------------------------------------------------------- shim, BIOS
MUSL=$X/musl-dev/usr
clang --target=i386-linux-musl -march=i686 -Os -Wall -Wextra -Werror -static -nostdlib -nostdinc -fno-stack-protector \
  -isystem "$MUSL/include/i386-linux-musl" -fuse-ld=lld -Wl,--strip-all \
  "$MUSL/lib/i386-linux-musl/crt1.o" "$MUSL/lib/i386-linux-musl/crti.o" "$HERE/shim.c" "$MUSL/lib/i386-linux-musl/libc.a" \
  "$(clang --rtlib=compiler-rt --target=i386-linux-gnu -print-libgcc-file-name)" "$MUSL/lib/i386-linux-musl/crtn.o" \
  -o "$W/shim"
install -m 0644 "$X/seabios/usr/share/seabios/bios.bin" "$W/bios.bin"
install -m 0644 "$X/seabios/usr/share/seabios/vgabios-stdvga.bin" "$W/vgabios.bin"

# ---------------------------------------------------------------- one kernel: initramfs, boot, save, prove
REJECTED=()
json_str() { node -p 'JSON.stringify(process.argv[1])' "$1"; }
kfail() { # kernel step detail: why this kernel is not used
  log "kernel $1 REJECTED at $2: $3"
  REJECTED+=("{\"kernel\": $(json_str "$1"), \"step\": $(json_str "$2"), \"reason\": $(json_str "${3: -2000}")}")
  return 1
}
try_kernel() { # name:i386=version; sets KERNEL, KVER, MODULES, BOOT_MS, CHECK_MS on success
  local kp=$1 kname=${1%%:*} deb kdir order m f r c t
  KVERSION=${kp##*=}
  deb=$(deb_of "$kp") || { kfail "$kname" download "apt-get download $kp failed"; return 1; }
  KDEB_SHA=$(sha256sum "$deb" | cut -d' ' -f1)
  rm -rf "$X/kernel" "$W"/state-* && mkdir -p "$X/kernel"
  dpkg -x "$deb" "$X/kernel"
  KVER=$(ls "$X/kernel/lib/modules")
  kdir=$X/kernel/lib/modules/$KVER
  order=$("$TSX" "$HERE/module-order.ts" "$kdir" "${ROOT_MODULES[@]}" 2>&1) || { kfail "$kname" "module dependencies" "$order"; return 1; }
  # /init is the shim; busybox is there for `rdinit=/bin/sh`, a bare guest (bench/x86.ts).
  local R=$W/initramfs
  rm -rf "$R" && mkdir -p "$R/bin" "$R/lib/modules" "$R/dev" "$R/proc" "$R/sys" "$R/c"
  MODULES=()
  while IFS=$'\t' read -r m f; do
    MODULES+=("$m")
    install -m 0644 "$kdir/$f" "$R/lib/modules/$m.ko"
  done <<< "$order"
  printf '%s\n' "${MODULES[@]}" > "$R/lib/modules/load.order"
  log "kernel $kname ($KVERSION): modules in load order: ${MODULES[*]}"
  install -m 0755 "$W/shim" "$R/init"
  install -m 0755 "$X/busybox-static/bin/busybox" "$R/bin/busybox"
  ln -s busybox "$R/bin/sh"
  "$TSX" "$HERE/initramfs.ts" "$R" "$W/initrd.gz"
  install -m 0644 "$X/kernel/boot/vmlinuz-$KVER" "$W/vmlinuz"
  BOOT_MS=()
  CHECK_MS=()
  for m in $MEMORY; do
    t=$(date +%s%N)
    r=$("$TSX" "$HERE/boot.ts" "$W" "$m" "$W/state-$m.bin" 2> "$W/boot.err") || { kfail "$kname" "boot ($m MiB)" "$(cat "$W/boot.err")"; return 1; }
    log "$m MiB: booted and saved in $(ms_since "$t") ms ($r)"
    BOOT_MS+=("\"$m\": $(node -p "JSON.parse(process.argv[1]).bootMs" "$r")")
    c=$("$TSX" "$HERE/check.ts" "$W/state-$m.bin" "$m" "$X/busybox-static/bin/busybox" "$KVER" "${MODULES[@]}" 2> "$W/check.err") ||
      { kfail "$kname" "the 9p root check ($m MiB)" "$(cat "$W/check.err")"; return 1; }
    log "$m MiB: restored, mounted a 9p root, ran a container: $c"
    CHECK_MS+=("\"$m\": $(node -p "JSON.parse(process.argv[1]).checkMs" "$c")")
    # gzip rather than zstd: the browser inflates it natively (DecompressionStream) once per node,
    # and every container then restores the raw state, ~2x faster than v86 restoring a zstd one.
    gzip -9 -n -c "$W/state-$m.bin" > "$W/state-$m.gzip" # not .gz: see stateFile() in guest-options.ts
    rm "$W/state-$m.bin"
  done
  KERNEL=$kname
}
KERNEL=
for kp in "${KPKGS[@]}"; do try_kernel "$kp" && break; done
[ -n "$KERNEL" ] || die "no kernel passed the kit's boot check (tried: ${KPKGS[*]}); the REJECTED lines above say where each failed." \
  "VERBOSE=1 shows the guest console; GUEST_KIT_KERNEL=<package> builds with one kernel"
[ "$KERNEL" = "${KPKGS[0]%%:*}" ] || log "WARNING: built on $KERNEL, not on the newest kernel ${KPKGS[0]%%:*} (REJECTED above)"

# ---------------------------------------------------------------- manifest, move into place
files=()
for f in bios.bin vgabios.bin vmlinuz initrd.gz $(for m in $MEMORY; do echo "state-$m.gzip"; done); do
  files+=("\"$f\": {\"size\": $(stat -c %s "$W/$f"), \"sha256\": \"$(sha256sum "$W/$f" | cut -d' ' -f1)\"}")
done
input() { # name=version -> its input record, with the .deb's sha256
  echo "{\"package\": \"${1%%=*}\", \"version\": \"${1##*=}\", \"debSha256\": \"$(sha256sum "$(deb_of "$1")" | cut -d' ' -f1)\"}"
}
list() { local IFS=,; echo "$*"; }
mem_json=$(printf '%s\n' $MEMORY | sort -n | paste -sd, -)
cat > "$W/kit.json" << JSON
{
  "version": 1,
  "v86": "$V86_VERSION",
  "kernel": "$KERNEL $KVER",
  "cmdline": $(cd "$ROOT" && "$TSX" -e "import('./node/x86/guest-options.ts').then(m => console.log(JSON.stringify(m.CMDLINE)))"),
  "memoryMiB": [$mem_json],
  "files": {$(list "${files[@]}")},
  "bootMs": {$(list "${BOOT_MS[@]}")},
  "checkMs": {$(list "${CHECK_MS[@]}")},
  "inputs": {
    "kernel": {"package": "$KERNEL:i386", "version": "$KVERSION", "release": "$KVER", "debSha256": "$KDEB_SHA"},
    "seabios": $(input "${PKGS[0]}"),
    "busybox": $(input "${PKGS[1]}"),
    "musl": $(input "${PKGS[2]}"),
    "clang": "$CLANG_VERSION"
  },
  "modules": [$(printf '"%s"\n' "${MODULES[@]}" | paste -sd, -)],
  "rejected": [$(list "${REJECTED[@]}")]
}
JSON
node -e 'JSON.parse(require("fs").readFileSync(process.argv[1]))' "$W/kit.json" || die "kit.json is not valid JSON"
rm -f "$OUT"/state-*
for f in kit.json bios.bin vgabios.bin vmlinuz initrd.gz shim state-*.gzip; do mv "$W"/$f "$OUT/"; done
echo "$STAMP" > "$OUT/.stamp"
log "guest kit built in $(ms_since "$T0") ms on $KERNEL ($KVERSION): $OUT"
install_public
