#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian 12 (amd64) machine: system packages, a check that the
# compilers work, npm packages, and the images built from the project's own sources (test
# fixtures, the demo's built-in images, the x86 guest kit). Ends by printing what it resolved.
#   scripts/setup.sh --test   what `npm test` needs (adds Chromium)
#   scripts/setup.sh --demo   what `npm start` needs
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:---test}
log() { printf '[setup] %s\n' "$*" >&2; }

. /etc/os-release 2> /dev/null || true
[ "${ID:-}" = debian ] && [ "${VERSION_ID:-}" = 12 ] && [ "$(dpkg --print-architecture 2> /dev/null)" = amd64 ] ||
  log "WARNING: set-up is made for Debian 12 on amd64; this is ${PRETTY_NAME:-an unknown system} on $(uname -m)"

# Everything set-up uses, Recommends included (packages are installed without them): the i386
# compiler-rt builtins the guest kit's shim links with are only a Recommends of clang's.
packages=(docker-registry skopeo umoci jq curl zstd xz-utils clang lld libclang-rt-14-dev wasi-libc libclang-rt-dev-wasm32
  openssl busybox-static:i386)
[ "$mode" = --test ] && packages+=(chromium)
apt_line() { echo "dpkg --add-architecture i386 && apt-get update && apt-get install -y --no-install-recommends $*"; }

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${missing[*]}; as root, run: $(apt_line "${missing[*]}")"
    exit 1
  fi
  log "installing: ${missing[*]}"
  dpkg --print-foreign-architectures | grep -qx i386 || dpkg --add-architecture i386
  # A mirror caught mid-sync serves an index of the wrong size ("Mirror sync in progress?"), at
  # times for days (seen on bookworm-security's i386 index). Wait a little, then go on with the
  # indexes that did download: everything set-up needs is in bookworm's main suite, and a package
  # that cannot be found still stops the install below, by name.
  errs=$(mktemp)
  for try in 1 2 3; do
    apt-get -o DPkg::Lock::Timeout=300 update -qq 2> "$errs" && break
    if [ "$try" = 3 ]; then
      log "WARNING: apt-get update failed 3 times; going on with the indexes that downloaded:"
      grep '^[EW]:' "$errs" | sed 's/^/[setup]   /' >&2 || true
      break
    fi
    log "apt-get update failed (try $try of 3); again in 20 s"
    sleep 20
  done
  rm -f "$errs"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Before any long step: the two kinds of programs set-up compiles, each down to the file a
# package provides, so a gap in the list above is one line naming the package, not a failure
# twenty minutes in.
toolchain_gap() { # -> the package that is missing, or nothing
  local t; t=$(mktemp -d)
  trap 'rm -rf "$t"' RETURN
  command -v clang > /dev/null || { echo clang; return; }
  command -v ld.lld > /dev/null && command -v wasm-ld > /dev/null || { echo lld; return; }
  local rt; rt=$(clang --rtlib=compiler-rt --target=i386-linux-gnu -print-libgcc-file-name)
  [ -f "$rt" ] || { echo "libclang-rt-$(clang --version | sed -n '1s/.*clang version \([0-9]*\).*/\1/p')-dev"; return; }
  # i386, freestanding (the kit's shim brings its own libc): clang, lld and the builtins.
  printf 'long long d(long long a, long long b) { return a / b; }\nvoid _start(void) { for (;;) d(7, 3); }\n' > "$t/x.c"
  clang --target=i386-linux-gnu -ffreestanding -nostdlib -static -fuse-ld=lld "$t/x.c" "$rt" -o "$t/x" 2> "$t/err" ||
    { echo "clang (i386: $(head -1 "$t/err"))"; return; }
  [ -f /usr/lib/wasm32-wasi/libc.a ] || { echo wasi-libc; return; }
  [ -f "$(clang --rtlib=compiler-rt --target=wasm32-wasi -print-libgcc-file-name)" ] || { echo libclang-rt-dev-wasm32; return; }
  printf '#include <stdio.h>\nint main(void) { puts("ok"); return 0; }\n' > "$t/y.c"
  clang --target=wasm32-wasi --sysroot=/usr -O2 "$t/y.c" -o "$t/y.wasm" 2> "$t/err" ||
    { echo "wasi-libc (wasm32: $(head -1 "$t/err"))"; return; }
}
gap=$(toolchain_gap)
if [ -n "$gap" ]; then
  pkg=${gap%% *}
  if [ "$(id -u)" = 0 ]; then log "the compilers cannot build set-up's programs: missing $gap; run: $(apt_line "$pkg")"
  else log "the compilers cannot build set-up's programs: missing $gap; as root, run: $(apt_line "$pkg")"; fi
  exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

bash test/fixtures/build-images.sh --demo-out demo/public/images/demo
npx tsx scripts/images/build-ruby-image.ts demo/public/images/ruby
# The x86 guest: kernel, BIOS and busybox from Debian, booted once under v86, proved and saved.
bash scripts/guest-kit/build.sh
[ "$mode" = --test ] && bash test/fixtures/build-x86-images.sh
# The engine's own TCP/IP stack: lwIP from Debian's source package, compiled to wasm, and served
# to the network Worker beside the guest kit.
bash scripts/lwip/build.sh
mkdir -p demo/public/net
cmp -s .cache/lwip/lwip.wasm demo/public/net/lwip.wasm || cp .cache/lwip/lwip.wasm demo/public/net/lwip.wasm

# What this set-up resolved: the inputs a failure report needs first.
kit() { node -p "const k = require('./.cache/guest-kit/kit.json'); $1"; }
log "resolved: kernel $(kit 'k.inputs.kernel.package + " " + k.inputs.kernel.version + " (" + k.inputs.kernel.release + ")"')," \
  "SeaBIOS $(kit k.inputs.seabios.version), busybox $(kit k.inputs.busybox.version), clang $(kit k.inputs.clang)," \
  "v86 $(node -p "require('./node_modules/v86/package.json').version")," \
  "Chromium $(if command -v chromium > /dev/null; then chromium --version 2> /dev/null | sed -n 's/^Chromium \([^ ]*\).*/\1/p'; else echo 'not installed (--demo)'; fi)"
exit 0
