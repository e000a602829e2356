// `docker port`: a container's published ports, as `80/tcp -> 0.0.0.0:8080`.

import { CliError, type Command } from '../command.ts';

const port: Command = {
  names: ['container port', 'port'],
  usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  short: 'List port mappings or a specific mapping for the container',
  args: { min: 1, max: 2 },
  flags: [],
  async run(ctx) {
    const [name, wanted] = ctx.args as [string, string | undefined];
    const ports = ctx.engine.containers.inspect(name).NetworkSettings.Ports;
    if (wanted !== undefined) {
      const [p, proto = 'tcp'] = wanted.split('/');
      const key = `${p}/${proto}`;
      const bindings = ports[key];
      if (!bindings?.length) throw new CliError(`Error: No public port '${key}' published for ${name}`);
      for (const b of bindings) ctx.out(`${b.HostIp}:${b.HostPort}`);
      return;
    }
    const keys = Object.keys(ports).sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10) || (a < b ? -1 : 1));
    for (const key of keys) for (const b of ports[key] ?? []) ctx.out(`${key} -> ${b.HostIp}:${b.HostPort}`);
  },
};

export const containerPortCommands: readonly Command[] = [port];
