import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './read-body.ts';

export interface ErrorEntry {
  readonly code: string;
  readonly message: string;
  readonly detail?: unknown;
}

/** An error the browser receives the way a registry sends it: a status and `{"errors":[…]}`. */
export class RegistryError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
    /** Entries copied from an upstream error body, so its wording reaches the client unchanged. */
    readonly entries?: readonly ErrorEntry[],
  ) {
    super(message);
  }
}

/** Writes the error; returns the body size for the request log. */
export function sendError(res: ServerResponse, err: RegistryError): number {
  const body = JSON.stringify({ errors: err.entries ?? [{ code: err.code, message: err.message }] });
  const length = Buffer.byteLength(body);
  res.writeHead(err.status, {
    ...err.headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': length,
  });
  res.end(body);
  return length;
}

const ERROR_BODY_MAX = 64 * 1024;

/**
 * Turns an upstream error response into a RegistryError with the same status and its
 * `errors` entries (or ones made from the status if the body isn't registry JSON).
 * `Retry-After` is kept because clients need it to back off; `WWW-Authenticate` is dropped
 * because its realm is the upstream's, which the browser can't use.
 */
export async function upstreamError(res: IncomingMessage, notFoundCode: string, what: string): Promise<RegistryError> {
  const upstream = res.statusCode ?? 502;
  const status = upstream >= 400 && upstream <= 599 ? upstream : 502;
  let entries: ErrorEntry[] | undefined;
  try {
    entries = parseEntries(await readBody(res, ERROR_BODY_MAX));
  } catch {
    // An unreadable or oversized body: the status alone still says what happened.
  }
  const code = entries?.[0]?.code ?? codeForStatus(status, notFoundCode);
  const message = entries?.[0]?.message ?? `upstream answered HTTP ${upstream} for ${what}`;
  const retryAfter = res.headers['retry-after'];
  return new RegistryError(status, code, message, retryAfter ? { 'Retry-After': retryAfter } : {}, entries);
}

function parseEntries(body: Buffer): ErrorEntry[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const errors = (parsed as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  return errors.map((e: { code?: unknown; message?: unknown; detail?: unknown }) => ({
    code: typeof e?.code === 'string' ? e.code : 'UNKNOWN',
    message: typeof e?.message === 'string' ? e.message : '',
    ...(e?.detail !== undefined ? { detail: e.detail } : {}),
  }));
}

function codeForStatus(status: number, notFoundCode: string): string {
  switch (status) {
    case 401:
      return 'UNAUTHORIZED';
    case 403:
      return 'DENIED';
    case 404:
      return notFoundCode;
    case 429:
      return 'TOOMANYREQUESTS';
    default:
      return status >= 500 ? 'UNAVAILABLE' : 'UNKNOWN';
  }
}

/** A refusal or failure of the URL fetch endpoint (`/fetch?url=`): a status and a message saying what happened. */
export class FetchError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Writes `{"error": "…"}`, the fetch endpoint's error body; returns its size for the request log. */
export function sendFetchError(res: ServerResponse, err: FetchError): number {
  const body = JSON.stringify({ error: err.message });
  const length = Buffer.byteLength(body);
  res.writeHead(err.status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': length });
  res.end(body);
  return length;
}
