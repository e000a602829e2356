// Failures of a byte stream to a container and of HTTP spoken over one: Docker answers a
// published port's broken upstream with 502 Bad Gateway, so both carry that status.
import { EngineError } from '../../core/errors.ts';

/** The other end reset the connection (the process was killed, or it refused more data). */
export class ConnectionResetError extends EngineError {
  override readonly status = 502;
}

/** The server's answer is not HTTP/1.x as RFC 9112 frames it, or it ended early. */
export class MalformedResponseError extends EngineError {
  override readonly status = 502;
}
