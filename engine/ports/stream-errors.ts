// Failures of HTTP spoken over a byte stream to a container: Docker answers a published port's
// broken upstream with 502 Bad Gateway.
import { EngineError } from '../../core/errors.ts';

/** The server's answer is not HTTP/1.x as RFC 9112 frames it, or it ended early. */
export class MalformedResponseError extends EngineError {
  override readonly status = 502;
}
