// x86 containers on networks through the engine and the CLI, in the demo page: the network Worker
// carries their frames. Two busybox containers talk HTTP by name on a user network; a container
// on another network reaches neither the name nor the address; a published port answers the page
// through the engine's TCP/IP stack; a WASI server answers them; `--network none` has only lo.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';

const baseUrl = inject('baseUrl');
let s: BrowserSession;

const docker = (cmd: string) => s.page.evaluate((c) => window.docker(c), cmd);

beforeAll(async () => {
  s = await launchChromium();
  await s.page.goto(`${baseUrl}/demo/index.html?db=networks-x86&noproxy`);
  await s.page.evaluate(() => window.engineReady);
  for (const n of ['app', 'other']) expect((await docker(`docker network create ${n}`)).code).toBe(0);
  const web = await docker(
    `docker run -d --name web --network app --network-alias www busybox sh -c "mkdir -p /srv && echo hello-from-web > /srv/index.html && httpd -f -p 80 -h /srv"`,
  );
  expect(web.code, web.stderr).toBe(0);
});
afterAll(() => s?.close());

describe('x86 containers on networks', () => {
  it('reach each other by name and by alias, over real TCP', async () => {
    const r = await docker(
      'docker run --rm --network app busybox sh -c "wget -Y off -qO- http://web/ && wget -Y off -qO- http://www/index.html && ping -c1 -W2 web >/dev/null && echo pinged && wget -qO- http://web/"',
    );
    expect(r.stderr).toBe('');
    // The last wget goes through the gateway's HTTP proxy (http_proxy), which dials names on the network itself.
    expect(r.stdout).toBe('hello-from-web\nhello-from-web\npinged\nhello-from-web\n');
    expect(r.code).toBe(0);
  });

  it('do not reach containers on another network, by name or by address', async () => {
    const ip = (await docker('docker inspect -f "{{.NetworkSettings.Networks.app.IPAddress}}" web')).stdout.trim();
    expect(ip).toMatch(/^172\.\d+\.0\.2$/);
    // busybox's own resolver (nslookup): Debian's static busybox wget segfaults on a name that does
    // not resolve, on a real host too.
    const byName = await docker('docker run --rm --network other busybox nslookup web');
    expect(byName.code).not.toBe(0);
    expect(byName.stdout).toContain("can't find web: NXDOMAIN");
    const byIp = await docker(`docker run --rm --network other busybox wget -Y off -T 2 -qO- http://${ip}/`);
    expect(byIp.code).not.toBe(0);
    expect(byIp.stdout).toBe('');
    // Nor through the gateway's proxy, for which that address is beyond the network.
    const proxied = await docker(`docker run --rm --network other busybox wget -qO- http://${ip}/`);
    expect(proxied.code).toBe(1);
    expect(proxied.stderr).toContain('502 no egress');
  });

  it('serve a published port to the page through the engine’s TCP/IP stack', async () => {
    const run = await docker(
      `docker run -d --name pub -p 8081:80 busybox sh -c "mkdir -p /srv && echo served-by-x86 > /srv/index.html && httpd -f -p 80 -h /srv"`,
    );
    expect(run.code, run.stderr).toBe(0);
    // httpd listens a moment after the container starts.
    await expect
      .poll(
        () =>
          s.page.evaluate(() =>
            window.engine.ports.fetch(8081, '/').then(
              (r) => r.text(),
              (e: Error) => e.name,
            ),
          ),
        { timeout: 15_000 },
      )
      .toBe('served-by-x86\n');
    const missing = await s.page.evaluate(async () => {
      const r = await window.engine.ports.fetch(8081, '/missing');
      return r.status;
    });
    expect(missing).toBe(404);
    expect((await docker('docker rm -f pub')).code).toBe(0);
  });

  it('fail fast, with the reason, to reach beyond their network without an egress proxy', async () => {
    const t = Date.now();
    // This page has no proxy (?noproxy): the gateway's HTTP proxy says so.
    const proxied = await docker('docker run --rm --network app busybox wget -qO- http://example.org/');
    expect(proxied.code).toBe(1);
    expect(proxied.stderr).toContain('502 no egress: this engine has no proxy to reach beyond its networks');
    // A direct connection is not routed. nc: Debian's static busybox wget dies of SIGSEGV on this
    // error (as on a name that does not resolve).
    const r = await docker('docker run --rm --network app busybox nc 10.99.0.1 80');
    expect(r.code).not.toBe(0);
    expect(r.stderr, JSON.stringify(r)).toContain("can't connect to remote host (10.99.0.1): No route to host");
    expect(Date.now() - t).toBeLessThan(15_000);
  });

  it('reach a WASI server on their network by name: the engine answers for its address', async () => {
    // `web` is the demo's WASI HTTP server (EXPOSE 8080): no NIC, a listening socket from its node.
    const run = await docker('docker run -d --name wasi-web --network app web');
    expect(run.code, run.stderr).toBe(0);
    const ip = (await docker('docker inspect -f "{{.NetworkSettings.Networks.app.IPAddress}}" wasi-web')).stdout.trim();
    const r = await docker(
      `docker run --rm --network app busybox sh -c "wget -Y off -qO- http://wasi-web:8080/ | grep -o '<h1>.*</h1>'; ping -c1 -W2 ${ip} >/dev/null && echo pinged; ` +
        `head -c 300000 /dev/zero | tr '\\0' x > /tmp/body; wget -Y off -qO- --post-file /tmp/body http://${ip}:8080/echo | wc -c; wget -qO- http://wasi-web:8080/ | grep -c Hello"`,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('<h1>Hello from WASI</h1>\npinged\n300000\n1\n');
    expect(r.code).toBe(0);
    // Gone from the network with the container: a connection to its address now fails.
    expect((await docker('docker rm -f wasi-web')).code).toBe(0);
    const after = await docker(`docker run --rm --network app busybox nc -w 2 ${ip} 8080`);
    expect(after.code).not.toBe(0);
  });

  it('with --network none, have only the loopback interface', async () => {
    const r = await docker("docker run --rm --network none busybox sh -c \"ls /sys/class/net | sort | tr '\\n' ' '\"");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('lo');
  });
});
