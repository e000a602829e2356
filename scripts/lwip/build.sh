#!/usr/bin/env bash
# build.sh: lwIP 2.1.3 (Debian bookworm's source package) compiled to wasm32 with our glue
# (glue.c, lwipopts.h, arch/cc.h): the engine's own TCP/IP stack, loaded by net/tcpip/.
#
# Usage: bash scripts/lwip/build.sh
# Output: .cache/lwip/lwip.wasm. The source is downloaded once with apt-get into a private apt
# directory (no root, nothing changed on the system), verified against the .dsc's SHA-256 and
# unpacked into .cache/lwip/src. A stamp over the inputs makes a rerun with the same inputs a no-op.
set -euo pipefail
export LC_ALL=C

log() { printf '[lwip] %s\n' "$*" >&2; }
STEP=start
die() { log "ERROR in step '$STEP': $*"; exit 1; }
trap 'die "command failed (line $LINENO)"' ERR

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$ROOT/.cache/lwip
SRC=$OUT/src
APT=$OUT/apt
UPSTREAM=2.1.3 # lwipopts.h is written against this version's options
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

STEP=tools
missing=()
for c in apt-get clang wasm-ld sha256sum tar xz node; do command -v "$c" > /dev/null || missing+=("$c"); done
[ ${#missing[@]} -eq 0 ] || die "missing commands: ${missing[*]} (Debian: apt-get install clang lld wasi-libc xz-utils)"
[ -f /usr/lib/wasm32-wasi/libc.a ] || die "wasi-libc is missing (Debian: apt-get install wasi-libc)"
[ -f "$KEYRING" ] || die "$KEYRING is missing (Debian: apt-get install debian-archive-keyring)"

STAMP_INPUTS=$(cat "$HERE/build.sh" "$HERE/glue.c" "$HERE/lwipopts.h" "$HERE/arch/cc.h" | sha256sum | cut -d' ' -f1)-$(clang --version | head -1)
if [ -f "$OUT/lwip.wasm" ] && [ -f "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$STAMP_INPUTS" ]; then
  log "up to date: $OUT/lwip.wasm"
  exit 0
fi
mkdir -p "$OUT"

STEP=source
apt_opts=(-o Dir::Etc::sourcelist=/dev/null -o "Dir::Etc::sourceparts=$APT" -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache" -o APT::Sandbox::User=)
verified_orig() { # prints the orig tarball's path when the .dsc names it with a matching SHA-256
  local dsc orig sum
  dsc=$(ls "$APT"/dl/lwip_*.dsc 2> /dev/null | head -1) || return 1
  [ -n "$dsc" ] || return 1
  orig=$(ls "$APT"/dl/lwip_"$UPSTREAM"*.orig.tar.xz 2> /dev/null | head -1) || return 1
  [ -n "$orig" ] || return 1
  sum=$(sed -n '/^Checksums-Sha256:/,/^[^ ]/p' "$dsc" | awk -v f="$(basename "$orig")" '$3 == f { print $1 }')
  [ -n "$sum" ] || { log "$(basename "$dsc") does not list $(basename "$orig")"; return 1; }
  [ "$(sha256sum "$orig" | cut -d' ' -f1)" = "$sum" ] || { log "SHA-256 mismatch for $orig"; return 1; }
  echo "$orig"
}
if ! orig=$(verified_orig); then
  log "downloading the lwip source package from Debian bookworm"
  rm -rf "$APT"
  mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/dl"
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: %s\n' "$KEYRING" > "$APT/src.sources"
  apt-get "${apt_opts[@]}" update > "$APT/update.log" 2>&1 || die "apt-get update failed, see $APT/update.log"
  (cd "$APT/dl" && apt-get "${apt_opts[@]}" source --download-only lwip > "$APT/source.log" 2>&1) || die "apt-get source failed, see $APT/source.log"
  orig=$(verified_orig) || die "the downloaded source does not verify against its .dsc (or is not lwIP $UPSTREAM)"
fi
if [ ! -f "$SRC/.from" ] || [ "$(cat "$SRC/.from")" != "$(sha256sum "$orig")" ]; then
  rm -rf "$SRC"
  mkdir -p "$SRC"
  tar -xJf "$orig" -C "$SRC" --strip-components=1
  sha256sum "$orig" > "$SRC/.from"
fi
[ -f "$SRC/src/core/tcp.c" ] || die "$SRC does not look like lwIP (no src/core/tcp.c)"

STEP=compile
# The core only: IPv4, ARP, ICMP, raw, UDP, TCP, Ethernet. No api/ (sockets, netconn, threads).
CORE=(def inet_chksum init ip mem memp netif pbuf raw stats sys tcp tcp_in tcp_out timeouts udp
  ipv4/etharp ipv4/icmp ipv4/ip4 ipv4/ip4_addr ipv4/ip4_frag)
OBJ=$OUT/obj
rm -rf "$OBJ"
mkdir -p "$OBJ"
CFLAGS=(--target=wasm32-wasi --sysroot=/usr -O2 -std=c11 -I"$HERE" -I"$SRC/src/include")
sources=("$HERE/glue.c" "$SRC/src/netif/ethernet.c")
for f in "${CORE[@]}"; do sources+=("$SRC/src/core/$f.c"); done
pids=()
for s in "${sources[@]}"; do
  o=$OBJ/$(basename "${s%.c}").o
  warnings=() # our glue is held to -Werror; lwIP's own sources warn on our (valid) large window
  [ "$s" = "$HERE/glue.c" ] && warnings=(-Wall -Wextra -Werror)
  clang "${CFLAGS[@]}" "${warnings[@]}" -c "$s" -o "$o" 2> "$o.log" &
  pids+=("$!:$s:$o.log")
done
failed=0
for p in "${pids[@]}"; do
  IFS=: read -r pid s logf <<< "$p"
  if ! wait "$pid"; then
    cat "$logf" >&2
    log "failed to compile $s"
    failed=1
  fi
done
[ "$failed" = 0 ] || die "compilation failed (above)"

STEP=link
# A library module: no _start, no WASI imports (time and randomness come from the lwjs imports).
clang --target=wasm32-wasi --sysroot=/usr -O2 -nostartfiles -Wl,--no-entry -Wl,--strip-all \
  -Wl,-z,stack-size=131072 -o "$OUT/lwip.wasm.tmp" "$OBJ"/*.o

STEP=check
node --input-type=module -e "
  const { readFileSync } = await import('node:fs');
  const m = new WebAssembly.Module(readFileSync(process.argv[1]));
  const foreign = WebAssembly.Module.imports(m).filter((i) => i.module !== 'lwjs');
  if (foreign.length) { console.error('unexpected imports:', foreign.map((i) => i.module + '.' + i.name).join(', ')); process.exit(1); }
  const names = WebAssembly.Module.exports(m).map((e) => e.name);
  for (const want of ['memory', 'init', 'input', 'tick', 'tcp_listen', 'tcp_connect', 'tcp_write', 'ping'])
    if (!names.includes(want)) { console.error('missing export:', want); process.exit(1); }
" "$OUT/lwip.wasm.tmp" || die "$OUT/lwip.wasm.tmp has the wrong imports or exports"
mv "$OUT/lwip.wasm.tmp" "$OUT/lwip.wasm"
echo "$STAMP_INPUTS" > "$OUT/stamp"
log "built $OUT/lwip.wasm ($(stat -c %s "$OUT/lwip.wasm") bytes) from $(basename "$orig")"
