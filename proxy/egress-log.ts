/** What one egress request came to. */
export interface EgressOutcome {
  /** `host:port` as the client named it, or the request path when it named no valid target. */
  readonly target: string;
  /** The address dialled, once connected. */
  readonly dialled: string | undefined;
  /** `close=1000`, `client-close=1005`, `http=400`. */
  readonly result: string;
  /** Bytes client → target, and target → client. */
  readonly up: number;
  readonly down: number;
  readonly ms: number;
  readonly reason: string | undefined;
}

/**
 * One line per tunnel, written when it closes:
 * `<time> EGRESS <target> <dialled or -> <result> up=<bytes>B down=<bytes>B <ms>ms`, plus the
 * close reason when there is one.
 */
export function egressLogLine(o: EgressOutcome): string {
  const reason = o.reason ? ` reason=${JSON.stringify(o.reason)}` : '';
  return `${new Date().toISOString()} EGRESS ${o.target} ${o.dialled ?? '-'} ${o.result} up=${o.up}B down=${o.down}B ${Math.round(o.ms)}ms${reason}`;
}
