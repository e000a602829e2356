// The engine's front door: what the CLI, the demo and an embedding page may use. Everything
// else under engine/ and core/ is internal.

export type { TarWriteEntry } from '../core/archive/tar-writer.ts';
export { writeTarEntries } from '../core/archive/tar-writer.ts';
export * from '../core/errors.ts';
export type { Digest } from '../core/oci/digest.ts';
export { shortId } from '../core/oci/digest.ts';
export { formatPlatform } from '../core/oci/platform.ts';
export { familiarName, familiarTagged, formatReference, parseReference } from '../core/oci/reference.ts';
export type { LogRecord, VolumeRecord } from '../core/store/container-types.ts';
export type { NetworkEndpoint, NetworkRecord } from '../core/store/network-types.ts';
export { readTar } from '../core/unpack/tar-reader.ts';
export { CannotRunError, CommandNotFoundError, ContainerStartError } from './containers/container-errors.ts';
export type { ExecHandle } from './containers/container-io.ts';
export type { ContainerSummary, SummaryPort } from './containers/container-listing.ts';
export { hasKernelTerminal } from './containers/container-platform.ts';
export type { CreateOptions } from './containers/create-options.ts';
export { parseSignal } from './containers/signals.ts';
export type { EngineOptions } from './engine.ts';
export { API_VERSION, ENGINE_VERSION, Engine } from './engine.ts';
export type { EngineEvent } from './events.ts';
export { humanDuration } from './human-duration.ts';
export type { HistoryItem, ImageSummary, PullRequest } from './images/image-service.ts';
export type { PullProgress } from './images/progress.ts';
export { HostNetworkError, IpamError, NetworkForbiddenError, PoolOverlapError, PortAllocatedError } from './networks/network-errors.ts';
export type { DnsRecord, NetworkFabric } from './networks/network-fabric.ts';
export type { NetworkCreateOptions } from './networks/network-service.ts';
export type { PublishedPort } from './networks/port-service.ts';
export { parseExpose, parsePublish } from './networks/port-specs.ts';
export type { NodeInfo } from './nodes/node-manager.ts';
export type { PublishedPorts } from './ports/published-ports.ts';
export { MalformedResponseError } from './ports/stream-errors.ts';
export { type StreamWebSocket, WebSocketHandshakeError } from './ports/websocket-over-stream.ts';
