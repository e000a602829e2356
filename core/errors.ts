/**
 * Typed engine errors. Each class carries Docker's meaning so the CLI can map it to the
 * exit code and message a Docker user expects, and callers can branch with `instanceof`.
 */
export class EngineError extends Error {
  /** HTTP status the Docker Engine API would answer with for this kind of error. */
  readonly status: number = 500;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends EngineError {
  override readonly status = 404;
}

export class ConflictError extends EngineError {
  override readonly status = 409;
}

export class InvalidParameterError extends EngineError {
  override readonly status = 400;
}

export class InvalidReferenceError extends InvalidParameterError {}

/** The registry answered with an error (4xx/5xx) that is not one of the more specific kinds. */
export class RegistryError extends EngineError {
  override readonly status: number;
  constructor(
    message: string,
    readonly httpStatus: number,
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = httpStatus >= 400 && httpStatus < 600 ? httpStatus : 502;
  }
}

export class RegistryAuthError extends RegistryError {}

export class RateLimitError extends RegistryError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(message, 429, 'TOOMANYREQUESTS');
  }
}

export class DigestMismatchError extends EngineError {
  override readonly status = 400;
  constructor(
    readonly expected: string,
    readonly actual: string,
    what: string,
  ) {
    super(`digest mismatch for ${what}: expected ${expected}, got ${actual}`);
  }
}

export class SizeMismatchError extends EngineError {
  override readonly status = 400;
}

export class UnsupportedMediaTypeError extends EngineError {
  override readonly status = 415;
}

export class ManifestInvalidError extends EngineError {
  override readonly status = 400;
}

export class PlatformNotFoundError extends NotFoundError {
  constructor(
    readonly requested: string,
    readonly available: readonly string[],
  ) {
    super(`no matching manifest for ${requested} in the manifest list entries` + (available.length ? ` (available: ${available.join(', ')})` : ''));
  }
}

/** A layer tar that tries to escape the root or uses entries we refuse to apply. */
export class HostileLayerError extends EngineError {
  override readonly status = 400;
}

/** A corrupt or truncated layer (bad gzip, bad tar). */
export class LayerFormatError extends EngineError {
  override readonly status = 400;
}

/** Unpacking stopped because the layer expanded past the configured limit (decompression bomb). */
export class DecompressionLimitError extends EngineError {
  override readonly status = 413;
}

/** The browser refused to store more data (IndexedDB QuotaExceededError). */
export class QuotaError extends EngineError {
  override readonly status = 507;
}

export class AbortError extends EngineError {
  override readonly status = 499;
  constructor(message = 'operation cancelled', options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function isQuotaExceeded(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'QuotaExceededError';
}

/** Out of storage: the browser's QuotaExceededError, raw or already typed as a QuotaError. */
export function isOutOfSpace(e: unknown): boolean {
  return e instanceof QuotaError || isQuotaExceeded(e);
}

/** Normalises storage failures into typed errors; other errors pass through unchanged. */
export function asEngineError(e: unknown): unknown {
  if (isQuotaExceeded(e)) return new QuotaError('storage quota exceeded', { cause: e });
  if (e instanceof DOMException && e.name === 'AbortError') return new AbortError(undefined, { cause: e });
  return e;
}

/** Nothing listens on that port of the container (ECONNREFUSED). */
export class ConnectionRefusedError extends EngineError {
  override readonly status = 502;
}

/** The other end of a stream reset the connection (the process was killed, or it refused more data): 502, as a broken upstream. */
export class ConnectionResetError extends EngineError {
  override readonly status = 502;
}
