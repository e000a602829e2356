/**
 * Typed TCP errors, with the POSIX code a socket would report (WASI bridging maps them to errno).
 * A connection's streams end with one of these; `connect` rejects with one.
 */
export type TcpErrorCode = 'ECONNREFUSED' | 'ECONNRESET' | 'ECONNABORTED' | 'ETIMEDOUT' | 'EADDRINUSE' | 'ENOBUFS' | 'EIO';

export class TcpError extends Error {
  constructor(
    readonly code: TcpErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = new.target.name;
  }
}

/** The peer answered a SYN with a reset: nothing listens on that port. */
export class TcpRefusedError extends TcpError {
  constructor(message: string) {
    super('ECONNREFUSED', message);
  }
}

/** The peer reset an established connection. */
export class TcpResetError extends TcpError {
  constructor(message: string) {
    super('ECONNRESET', message);
  }
}

/** This side gave up: retransmissions or SYNs ran out, or the stack reclaimed the connection. */
export class TcpAbortedError extends TcpError {
  constructor(message: string) {
    super('ECONNABORTED', message);
  }
}

export class TcpTimedOutError extends TcpError {
  constructor(message: string) {
    super('ETIMEDOUT', message);
  }
}

export class TcpAddressInUseError extends TcpError {
  constructor(message: string) {
    super('EADDRINUSE', message);
  }
}

/** lwIP's err_t values (lwip/err.h) that this package turns into errors. */
const LwipErr = {
  MEM: -1,
  BUF: -2,
  TIMEOUT: -3,
  RTE: -4,
  USE: -8,
  CONN: -11,
  ABRT: -13,
  RST: -14,
  CLSD: -15,
} as const;

/** Not an error: lwIP finished a clean close on its own (LAST_ACK acknowledged, or TIME_WAIT) and freed the handle. */
export const isFinishedByLwip = (err: number) => err === LwipErr.CLSD;

/** lwIP had no room: a full pool, heap or table (for `netif_add`, all netif slots taken). */
export const isOutOfMemory = (err: number) => err === LwipErr.MEM;

/** The error for an lwIP err_t; `established` tells a reset from a refusal. */
export function tcpErrorOf(err: number, what: string, established: boolean): TcpError {
  switch (err) {
    case LwipErr.RST:
      return established ? new TcpResetError(`${what}: reset by peer`) : new TcpRefusedError(`${what}: connection refused`);
    case LwipErr.ABRT:
      return established ? new TcpAbortedError(`${what}: aborted (retransmissions ran out)`) : new TcpTimedOutError(`${what}: no answer to SYN`);
    case LwipErr.USE:
      return new TcpAddressInUseError(`${what}: address in use`);
    case LwipErr.MEM:
    case LwipErr.BUF:
      return new TcpError('ENOBUFS', `${what}: the stack is out of memory`);
    case LwipErr.TIMEOUT:
      return new TcpTimedOutError(`${what}: timed out`);
    default:
      return new TcpError('EIO', `${what}: lwIP error ${err}`);
  }
}
