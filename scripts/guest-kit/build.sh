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

# The newest 686 kernel (the metapackage names it), and the exact versions of everything.
KERNEL=$(apt-cache depends linux-image-686:i386 2> /dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*-686\).*/\1/p' | head -1)
[ -n "$KERNEL" ] || die "no linux-image-686:i386 in the package index: apt-get update (with i386 enabled)"
candidate() { apt-cache policy "$1" | sed -n 's/^ *Candidate: //p'; }
installed() { dpkg-query -W -f='${Version}' "$1" 2> /dev/null || true; }
# busybox: the installed version when there is one, so the kit's matches the fixture image's.
BB_VERSION=$(installed busybox-static:i386)
[ -n "$BB_VERSION" ] || BB_VERSION=$(candidate busybox-static:i386)
PKGS=("seabios=$(candidate seabios)" "$KERNEL:i386=$(candidate "$KERNEL:i386")" "busybox-static:i386=$BB_VERSION"
  "musl-dev:i386=$(candidate musl-dev:i386)")
for p in "${PKGS[@]}"; do [ -n "${p##*=}" ] || die "package ${p%=*} is not in the package index (apt-get update?)"; done

STAMP=$({
  for f in "${BASH_SOURCE[0]}" "$HERE"/shim.c "$HERE"/boot.ts "$HERE"/initramfs.ts "$ROOT"/worker/x86/guest-options.ts \
    "$ROOT"/worker/x86/channel.ts; do
    echo "$f"; cat "$f"
  done
  printf '%s\n' "${PKGS[@]}" "v86=$V86_VERSION" "memory=$MEMORY" "$(clang --version | head -1)"
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
for p in "${PKGS[@]}"; do
  name=${p%%=*}; name=${name%:i386}; version=${p##*=}
  arch=i386; [ "$name" = seabios ] && arch=all
  deb="$OUT/debs/${name}_${version//:/%3a}_$arch.deb"
  if [ ! -f "$deb" ]; then
    log "apt-get download $p"
    (cd "$OUT/debs" && apt-get download -o APT::Sandbox::User=root "$p" > /dev/null) || die "apt-get download $p failed"
  fi
  [ -f "$deb" ] || die "apt-get download $p did not give $deb"
  mkdir -p "$W/x/$name"
  dpkg -x "$deb" "$W/x/$name"
done
X=$W/x
KVER=$(ls "$X/$KERNEL/lib/modules")

# ---------------------------------------------------------------- shim
MUSL=$X/musl-dev/usr
clang --target=i386-linux-musl -march=i686 -Os -Wall -Wextra -Werror -static -nostdlib -nostdinc -fno-stack-protector \
  -isystem "$MUSL/include/i386-linux-musl" -fuse-ld=lld -Wl,--strip-all \
  "$MUSL/lib/i386-linux-musl/crt1.o" "$MUSL/lib/i386-linux-musl/crti.o" "$HERE/shim.c" "$MUSL/lib/i386-linux-musl/libc.a" \
  "$(clang --rtlib=compiler-rt --target=i386-linux-gnu -print-libgcc-file-name)" "$MUSL/lib/i386-linux-musl/crtn.o" \
  -o "$W/shim"

# ---------------------------------------------------------------- initramfs
# /init is the shim; busybox is there for `rdinit=/bin/sh`, a bare guest (bench/x86.ts).
R=$W/initramfs
mkdir -p "$R/bin" "$R/lib/modules" "$R/dev" "$R/proc" "$R/sys" "$R/c"
install -m 0755 "$W/shim" "$R/init"
install -m 0755 "$X/busybox-static/bin/busybox" "$R/bin/busybox"
ln -s busybox "$R/bin/sh"
for m in virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci 9pnet 9pnet_virtio netfs fscache 9p; do
  ko=$(find "$X/$KERNEL/lib/modules/$KVER" -name "$m.ko" | head -1)
  [ -n "$ko" ] || die "module $m.ko is not in $KERNEL"
  install -m 0644 "$ko" "$R/lib/modules/$m.ko"
done
"$TSX" "$HERE/initramfs.ts" "$R" "$W/initrd.gz"
install -m 0644 "$X/$KERNEL/boot/vmlinuz-$KVER" "$W/vmlinuz"
install -m 0644 "$X/seabios/usr/share/seabios/bios.bin" "$W/bios.bin"
install -m 0644 "$X/seabios/usr/share/seabios/vgabios-stdvga.bin" "$W/vgabios.bin"

# ---------------------------------------------------------------- boot once per memory size, save
# gzip rather than zstd: the browser inflates it natively (DecompressionStream) once per node, and
# every container then restores the raw state, ~2x faster than v86 restoring a zstd one.
boot_ms=()
for m in $MEMORY; do
  t=$(date +%s%N)
  r=$("$TSX" "$HERE/boot.ts" "$W" "$m" "$W/state-$m.bin") || die "booting the guest ($m MiB) failed"
  gzip -9 -n -c "$W/state-$m.bin" > "$W/state-$m.gzip" # not .gz: see stateFile() in guest-options.ts
  rm "$W/state-$m.bin"
  boot_ms+=("\"$m\": $(node -p "JSON.parse(process.argv[1]).bootMs" "$r")")
  log "$m MiB: booted and saved in $(ms_since "$t") ms ($r), state $(stat -c %s "$W/state-$m.gzip") bytes gzipped"
done

# ---------------------------------------------------------------- manifest, move into place
files=()
for f in bios.bin vgabios.bin vmlinuz initrd.gz $(for m in $MEMORY; do echo "state-$m.gzip"; done); do
  files+=("\"$f\": {\"size\": $(stat -c %s "$W/$f"), \"sha256\": \"$(sha256sum "$W/$f" | cut -d' ' -f1)\"}")
done
mem_json=$(printf '%s\n' $MEMORY | sort -n | paste -sd, -)
cat > "$W/kit.json" << EOF
{
  "version": 1,
  "v86": "$V86_VERSION",
  "kernel": "$KERNEL $KVER",
  "cmdline": $(cd "$ROOT" && "$TSX" -e "import('./worker/x86/guest-options.ts').then(m => console.log(JSON.stringify(m.CMDLINE)))"),
  "memoryMiB": [$mem_json],
  "files": {$(IFS=,; echo "${files[*]}")},
  "bootMs": {$(IFS=,; echo "${boot_ms[*]}")}
}
EOF
node -e 'JSON.parse(require("fs").readFileSync(process.argv[1]))' "$W/kit.json" || die "kit.json is not valid JSON"
rm -f "$OUT"/state-*
for f in kit.json bios.bin vgabios.bin vmlinuz initrd.gz shim state-*.gzip; do mv "$W"/$f "$OUT/"; done
echo "$STAMP" > "$OUT/.stamp"
log "guest kit built in $(ms_since "$T0") ms: $OUT"
install_public
