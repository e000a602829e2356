import type { IncomingMessage, ServerResponse } from 'node:http';

export type CacheOutcome = 'hit' | 'miss' | 'revalidated' | 'bypass' | '-';

/**
 * One line per request, written when the response closes:
 * `<time> <method> <upstream URL or path> <status> <body bytes>B cache=<outcome> <ms>ms`,
 * plus `incomplete` when the body was cut short and the error message when there was one.
 */
export class RequestLog {
  /** The upstream resource this request maps to, once known. */
  upstream: string | undefined;
  cache: CacheOutcome = '-';
  bytes = 0;
  error: string | undefined;
  private readonly started = performance.now();

  constructor(req: IncomingMessage, res: ServerResponse, sink: ((line: string) => void) | null) {
    if (sink) res.once('close', () => sink(this.line(req, res)));
  }

  private line(req: IncomingMessage, res: ServerResponse): string {
    const ms = Math.round(performance.now() - this.started);
    const target = this.upstream ?? (req.url ?? '').split('?')[0];
    const cut = res.writableFinished ? '' : ' incomplete';
    const err = this.error ? ` error=${JSON.stringify(this.error)}` : '';
    return `${new Date().toISOString()} ${req.method} ${target} ${res.statusCode} ${this.bytes}B cache=${this.cache} ${ms}ms${cut}${err}`;
  }
}
