// x86 containers on virtual networks in real Chromium: a network Worker (net/fabric-worker.ts)
// with a switch and gateway per network, busybox guests (each in its own guest Worker) with
// their virtio NIC plugged into it. Ping by address, HTTP by DNS name through the gateway's
// embedded DNS, a raw TCP stream with nc; a second network is isolated from the first; a
// container without an interface has loopback only (its NIC is unbound, so no eth0).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium, openHarness } from '../support/chromium.ts';
import type { Outcome, SpecInput, X86NetInput } from '../support/node-harness-types.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
if (!existsSync(path.join(root, 'demo/public/guest/kit.json'))) {
  throw new Error('the x86 guest kit is missing (demo/public/guest/kit.json): run `bash scripts/guest-kit/build.sh`');
}
const busybox = `${inject('registry')}/fixtures/busybox:latest`;
const ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
const ONE = { subnet: '172.30.0.0/16', gateway: '172.30.0.1' };
const TWO = { subnet: '172.31.0.0/16', gateway: '172.31.0.1' };

let s: BrowserSession;

const start = (script: string, net: X86NetInput) =>
  s.page.evaluate(([image, spec, net]) => N.x86Start(image, spec, net), [busybox, { argv: ['/bin/sh', '-c', script], env: ENV } as SpecInput, net] as const);
const waitFor = (id: string, text: string) => s.page.evaluate(([id, text]) => N.x86WaitFor(id, text), [id, text] as const);
const result = (id: string): Promise<Outcome> => s.page.evaluate((id) => N.x86Result(id), id);
const run = async (script: string, net: X86NetInput) => result(await start(script, net));

beforeAll(async () => {
  s = await launchChromium();
  s.page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') console.log('[page]', m.text());
  });
  await openHarness(s.page, inject('baseUrl'), 'x86-network');
  await s.page.addScriptTag({ type: 'module', url: '/test/browser/node-harness.ts' });
  await s.page.waitForFunction(() => (window as unknown as { N?: unknown }).N !== undefined);
  await s.page.evaluate(
    async ([image, one, two]) => {
      globalThis.E = await T.open({ nodes: 0 });
      await E.images.pull(image);
      await N.createNetwork('one', one);
      await N.createNetwork('two', two);
      await N.setRecords('one', [
        { name: 'web', address: '172.30.0.2' },
        { name: 'client', address: '172.30.0.3' },
      ]);
    },
    [busybox, ONE, TWO] as const,
  );
});
afterAll(async () => {
  await s?.close();
});

describe('x86 containers on a network', () => {
  it('reach each other by address (ping), by DNS name (wget from httpd), and over TCP (nc)', async () => {
    const web = await start(
      'mkdir -p /www && echo hello-from-web > /www/index.html && httpd -p 80 -h /www && echo ready && nc -l -p 7000 -e sh -c "cat >&2" && echo nc-done',
      {
        network: 'one',
        ip: '172.30.0.2',
        hostname: 'web',
      },
    );
    await waitFor(web, 'ready');
    const client = await run(
      'ping -c1 -W5 172.30.0.2 | grep -o "1 packets received" && wget -q -O- http://web/ && echo sent-over-nc | nc web 7000 && ' +
        'nslookup nosuch-name 2>&1 | grep -io "NXDOMAIN\\|can.t find" | head -1',
      { network: 'one', ip: '172.30.0.3', hostname: 'client' },
    );
    expect(client).toMatchObject({ code: 0, stderr: '' });
    const [pinged, page, nx] = client.stdout.trim().split('\n');
    expect(pinged).toBe('1 packets received');
    expect(page).toBe('hello-from-web');
    expect(nx).toMatch(/NXDOMAIN|can.t find/i);
    const server = await result(web);
    expect(server).toMatchObject({ code: 0 });
    // What nc received (its program's stdout is the socket: it writes to stderr).
    expect(server).toMatchObject({ stdout: 'ready\nnc-done\n', stderr: 'sent-over-nc\n' });
    const stats = await s.page.evaluate(() => N.networkStats('one'));
    expect(stats.gatewayAnswers).toBeGreaterThan(0);
    expect(stats.ports.every((p) => p.dropped === 0)).toBe(true);
  });

  it('keeps a container on another network from reaching the first one', async () => {
    const r = await run('ping -c1 -W3 172.31.0.1 | grep -o "1 packets received"; ping -c1 -W2 172.30.0.2 || echo unreachable', {
      network: 'two',
      ip: '172.31.0.2',
      hostname: 'isolated',
    });
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('1 packets received');
    expect(r.stdout).toContain('0 packets received');
    expect(lines.at(-1)).toBe('unreachable');
  });

  it('gives a container without an interface only loopback, and its /etc/hosts', async () => {
    const r = await run('ip -o -4 addr | awk \'{print $2, $4}\'; ls /sys/class/net; ping -c1 -W2 127.0.0.1 | grep -o "1 packets received"; cat /etc/hosts', {
      hostname: 'alone',
    });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('lo 127.0.0.1/8\nlo\n1 packets received\n127.0.0.1\tlocalhost\n');
  });
});
