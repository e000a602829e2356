// -p/--expose parsing (engine/networks/port-specs.ts) and host-port bookkeeping (port-service.ts).
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../core/errors.ts';
import { PortAllocatedError } from '../../../engine/networks/network-errors.ts';
import { PortService } from '../../../engine/networks/port-service.ts';
import { parseExpose, parsePublish } from '../../../engine/networks/port-specs.ts';

describe('parsePublish', () => {
  it('reads every form Docker accepts', () => {
    expect(parsePublish('8080:80')).toEqual([{ port: '80/tcp', binding: { HostIp: '', HostPort: '8080' } }]);
    expect(parsePublish('127.0.0.1:8080:80')).toEqual([{ port: '80/tcp', binding: { HostIp: '127.0.0.1', HostPort: '8080' } }]);
    expect(parsePublish('8080:80/tcp')).toEqual([{ port: '80/tcp', binding: { HostIp: '', HostPort: '8080' } }]);
    expect(parsePublish('53:53/udp')).toEqual([{ port: '53/udp', binding: { HostIp: '', HostPort: '53' } }]);
    expect(parsePublish('80')).toEqual([{ port: '80/tcp', binding: { HostIp: '', HostPort: '' } }]);
    expect(parsePublish('127.0.0.1::80')).toEqual([{ port: '80/tcp', binding: { HostIp: '127.0.0.1', HostPort: '' } }]);
    expect(parsePublish('8000-8001:80-81')).toEqual([
      { port: '80/tcp', binding: { HostIp: '', HostPort: '8000' } },
      { port: '81/tcp', binding: { HostIp: '', HostPort: '8001' } },
    ]);
  });

  it("refuses bad specs with Docker's messages", () => {
    expect(() => parsePublish('8080:http')).toThrow('invalid containerPort: http');
    expect(() => parsePublish('x:80')).toThrow('invalid hostPort: x');
    expect(() => parsePublish('80/icmp')).toThrow('invalid proto: icmp');
    expect(() => parsePublish('300.0.0.1:80:80')).toThrow('invalid IP address: 300.0.0.1');
    expect(() => parsePublish('8000-8002:80-81')).toThrow('invalid ranges specified for container and host Ports: 80-81 and 8000-8002');
    expect(() => parsePublish('0:80')).toThrow('invalid hostPort: 0');
  });

  it('reads --expose with ranges and protocols', () => {
    expect(parseExpose('80')).toEqual(['80/tcp']);
    expect(parseExpose('7000-7002/udp')).toEqual(['7000/udp', '7001/udp', '7002/udp']);
  });
});

describe('PortService', () => {
  const request = (
    containerId: string,
    bindings: Record<string, { HostIp: string; HostPort: string }[]>,
    more: { exposed?: string[]; publishAll?: boolean } = {},
  ) => ({
    containerId,
    endpointName: containerId,
    endpointId: `ep-${containerId}`,
    bindings,
    exposed: more.exposed ?? [],
    publishAll: more.publishAll ?? false,
  });

  it('binds, resolves and frees host ports; a taken one fails with Docker’s message and binds nothing', () => {
    const ports = new PortService();
    expect(ports.bind(request('a', { '80/tcp': [{ HostIp: '', HostPort: '8080' }] }, { exposed: ['443/tcp'] }))).toEqual({
      '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }],
      '443/tcp': null,
    });
    expect(ports.resolve(8080)).toEqual({ containerId: 'a', containerPort: 80, protocol: 'tcp' });
    const clash = () => ports.bind(request('b', { '81/tcp': [{ HostIp: '', HostPort: '9090' }], '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] }));
    expect(clash).toThrow(PortAllocatedError);
    expect(clash).toThrow('driver failed programming external connectivity on endpoint b (ep-b): Bind for 127.0.0.1:8080 failed: port is already allocated');
    expect(ports.list().map((p) => p.hostPort)).toEqual([8080]);
    // Another protocol is another port.
    ports.bind(request('c', { '80/udp': [{ HostIp: '', HostPort: '8080' }] }));
    expect(ports.resolve(8080, 'udp').containerId).toBe('c');
    ports.release('a');
    expect(() => ports.resolve(8080)).toThrow(NotFoundError);
    expect(ports.bind(request('b', { '80/tcp': [{ HostIp: '', HostPort: '8080' }] }))['80/tcp']).toEqual([{ HostIp: '0.0.0.0', HostPort: '8080' }]);
  });

  it('gives -p 80 and -P free ports from 32768 up', () => {
    const ports = new PortService();
    expect(ports.bind(request('a', { '80/tcp': [{ HostIp: '', HostPort: '' }] }))['80/tcp']).toEqual([{ HostIp: '0.0.0.0', HostPort: '32768' }]);
    expect(ports.bind(request('b', {}, { exposed: ['80/tcp', '90/tcp'], publishAll: true }))).toEqual({
      '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '32769' }],
      '90/tcp': [{ HostIp: '0.0.0.0', HostPort: '32770' }],
    });
    expect(ports.of('b').map((p) => p.containerPort)).toEqual([80, 90]);
  });
});
