import { createSHA256, type IHasher } from 'hash-wasm';
import { DigestMismatchError, InvalidParameterError } from '../errors.ts';

/** A content digest `algorithm:hex`, validated. Only sha256 is produced; sha512 is accepted. */
export type Digest = string & { readonly __brand: 'Digest' };

const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

export function digestHex(d: Digest): string {
  return d.slice(d.indexOf(':') + 1);
}

/** Docker's short image ID: the first 12 hex characters. */
export function shortId(d: Digest): string {
  return digestHex(d).slice(0, 12);
}

/** Streaming SHA-256 (WebCrypto cannot stream); hash-wasm runs at several hundred MB/s. */
export class Sha256 {
  private constructor(private readonly hasher: IHasher) {}

  static async create(): Promise<Sha256> {
    const h = await createSHA256();
    h.init();
    return new Sha256(h);
  }

  update(bytes: Uint8Array): void {
    this.hasher.update(bytes);
  }

  /** Starts over, for the next input: making a hasher costs ~20× hashing a small file. */
  reset(): void {
    this.hasher.init();
  }

  digest(): Digest {
    return `sha256:${this.hasher.digest('hex')}` as Digest;
  }

  hex(): string {
    return this.hasher.digest('hex');
  }
}

export async function sha256Of(bytes: Uint8Array | string): Promise<Digest> {
  const h = await Sha256.create();
  h.update(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);
  return h.digest();
}

export async function verifyBytes(bytes: Uint8Array, expected: Digest, what: string): Promise<void> {
  if (!expected.startsWith('sha256:')) {
    throw new InvalidParameterError(`unsupported digest algorithm in ${expected}`);
  }
  const actual = await sha256Of(bytes);
  if (actual !== expected) throw new DigestMismatchError(expected, actual, what);
}

/** ChainID(L0..Ln) = sha256(ChainID(L0..Ln-1) + " " + DiffID(Ln)), per the OCI image spec. */
export async function chainIds(diffIds: readonly Digest[]): Promise<Digest[]> {
  const out: Digest[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : await sha256Of(`${prev} ${d}`));
  }
  return out;
}
