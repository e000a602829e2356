// What `docker create` records of a container's networking: its mode, its attachments, its ports.

import { ConflictError, InvalidParameterError } from '../../core/errors.ts';
import type { ContainerRecord, PortBinding } from '../../core/store/container-types.ts';
import { HostNetworkError } from '../networks/network-errors.ts';
import type { NetworkService } from '../networks/network-service.ts';
import { comparePorts, parseExpose, parsePublish } from '../networks/port-specs.ts';
import type { ContainerRecords } from './container-records.ts';
import type { CreateOptions } from './create-options.ts';
import { emptyNetworkSettings, plannedEndpoint } from './network-settings.ts';

type NetworkFields = Pick<ContainerRecord['HostConfig'], 'NetworkMode' | 'PortBindings' | 'PublishAllPorts'> & {
  readonly ExposedPorts: ContainerRecord['Config']['ExposedPorts'];
  readonly NetworkSettings: ContainerRecord['NetworkSettings'];
};

/** Checks `--network`, `--network-alias`, `--ip`, `-p`, `-P`, `--expose` and shapes them as Docker records them. */
export function planNetworking(
  o: CreateOptions,
  imageExposed: Readonly<Record<string, object>>,
  networks: NetworkService,
  records: ContainerRecords,
): NetworkFields {
  // `default` is Docker's other name for the default bridge.
  const mode = o.network === undefined || o.network === 'default' ? 'bridge' : o.network;
  const aliases = o.networkAliases ?? [];
  const publish = (o.publish ?? []).flatMap(parsePublish);
  const exposed = [...Object.keys(imageExposed), ...(o.expose ?? []).flatMap(parseExpose), ...publish.map((p) => p.port)];
  const ExposedPorts = Object.fromEntries([...new Set(exposed)].sort(comparePorts).map((p) => [p, {}]));
  const PortBindings: Record<string, PortBinding[]> = {};
  for (const p of publish) (PortBindings[p.port] ??= []).push(p.binding);
  const base = { NetworkMode: mode, PortBindings, PublishAllPorts: o.publishAll ?? false, ExposedPorts };

  if (mode === 'host') throw new HostNetworkError();
  if (mode.startsWith('container:')) {
    records.resolve(mode.slice('container:'.length));
    if (publish.length || o.publishAll) throw new ConflictError('conflicting options: port publishing and the container type network mode');
    if (aliases.length || o.ip) throw new ConflictError('conflicting options: network-scoped aliases or --ip and the container type network mode');
    return { ...base, NetworkSettings: emptyNetworkSettings() };
  }
  const n = networks.inspect(mode);
  if (n.Driver === 'host') throw new HostNetworkError();
  const custom = n.Name !== 'bridge' && n.Driver === 'bridge';
  if (aliases.length && !custom) throw new InvalidParameterError('network-scoped alias is supported only for containers in user defined networks');
  if (o.ip && !custom) throw new InvalidParameterError('user specified IP address is supported on user defined networks only');
  return { ...base, NetworkSettings: emptyNetworkSettings({ [n.Name]: plannedEndpoint(n.Id, aliases, o.ip) }) };
}
