// Filesystem and syscall failures carry a WASI errno; the syscall layer returns it to the module.
import { wasi } from '@bjorn3/browser_wasi_shim';

export class Errno extends Error {
  constructor(readonly code: number) {
    super(`errno ${code}`);
  }
}

export const E = {
  ACCES: wasi.ERRNO_ACCES,
  BADF: wasi.ERRNO_BADF,
  BUSY: wasi.ERRNO_BUSY,
  EXIST: wasi.ERRNO_EXIST,
  INVAL: wasi.ERRNO_INVAL,
  IO: wasi.ERRNO_IO,
  ISDIR: wasi.ERRNO_ISDIR,
  LOOP: wasi.ERRNO_LOOP,
  NAMETOOLONG: wasi.ERRNO_NAMETOOLONG,
  NOENT: wasi.ERRNO_NOENT,
  NOSPC: wasi.ERRNO_NOSPC,
  NOTDIR: wasi.ERRNO_NOTDIR,
  NOTEMPTY: wasi.ERRNO_NOTEMPTY,
  NOTSUP: wasi.ERRNO_NOTSUP,
  PERM: wasi.ERRNO_PERM,
  ROFS: wasi.ERRNO_ROFS,
  SPIPE: wasi.ERRNO_SPIPE,
  XDEV: wasi.ERRNO_XDEV,
  AGAIN: wasi.ERRNO_AGAIN,
  NOTSOCK: wasi.ERRNO_NOTSOCK,
  NXIO: wasi.ERRNO_NXIO,
} as const;

export function fail(code: number): never {
  throw new Errno(code);
}
