import { ConflictError, EngineError, InvalidParameterError } from '../../core/errors.ts';

/** An address or subnet the IPAM refuses: a bad CIDR, a gateway outside its subnet, an overlap. */
export class IpamError extends InvalidParameterError {}

/** Docker's `Pool overlaps with other one on this address space` (HTTP 403 Forbidden in Docker). */
export class PoolOverlapError extends EngineError {
  override readonly status = 403;
  constructor() {
    super('Pool overlaps with other one on this address space');
  }
}

/** A host port another running container publishes already. */
export class PortAllocatedError extends ConflictError {}

/** `--network host`: a browser tab has no host network stack to share. */
export class HostNetworkError extends InvalidParameterError {
  constructor() {
    super('the host network does not exist in a browser: a tab has no host network stack to share; publish ports with -p instead');
  }
}

/** Docker's 403s for networks: removing a predefined network, or one with running containers. */
export class NetworkForbiddenError extends EngineError {
  override readonly status = 403;
}
