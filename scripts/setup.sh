#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine: system packages, npm packages, and the images
# built from the project's own sources (test fixtures and the demo's built-in images).
#   scripts/setup.sh --test   what `npm test` needs (adds Chromium)
#   scripts/setup.sh --demo   what `npm start` needs
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:---test}
log() { printf '[setup] %s\n' "$*" >&2; }

packages=(docker-registry skopeo umoci jq curl zstd clang lld wasi-libc libclang-rt-dev-wasm32 openssl busybox-static:i386)
[ "$mode" = --test ] && packages+=(chromium)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing system packages: ${missing[*]}"
    log "install them as root:  sudo dpkg --add-architecture i386 && sudo apt-get update && sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
  log "installing: ${missing[*]}"
  dpkg --print-foreign-architectures | grep -qx i386 || dpkg --add-architecture i386
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  # policy-rc.d keeps the docker-registry package from starting a system service on :5000.
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

bash test/fixtures/build-images.sh --demo-out demo/public/images/demo
npx tsx scripts/images/build-ruby-image.ts demo/public/images/ruby
# The x86 guest: kernel, BIOS and busybox from Debian, booted once under v86 and saved.
bash scripts/guest-kit/build.sh
[ "$mode" = --test ] && bash test/fixtures/build-x86-images.sh
exit 0
