// Isolation of containers in a real Chromium, in the demo page with real node Workers:
// 1. a container runs in a Worker (no DOM), may import nothing but WASI, and sees only its own
//    root: a file written in one container of an image is not in another of the same image;
// 2. a WASI program cannot leave its root through `..`, absolute or relative symlinks;
// 3. neither can an x86 guest (root in its own Linux) over 9p, even with a chroot escape: no path
//    leads to another container's files;
// 4. a page served from a published port (the ports origin) cannot read the engine's IndexedDB,
//    localStorage or caches.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';

const registry = inject('registry');
const baseUrl = inject('baseUrl');
const DB = `isolation-${Date.now().toString(36)}`;
const T = 120_000;
let s: BrowserSession;

const docker = (cmd: string) => s.page.evaluate((c) => window.docker(c), cmd);
/** Runs `cmd`, expecting success; its stdout. */
async function ok(cmd: string): Promise<string> {
  const r = await docker(cmd);
  expect(r.code, `${cmd}: ${r.stderr}`).toBe(0);
  return r.stdout;
}
/** Single-quoted for the demo's docker command line. */
const q = (script: string) => `'${script.replaceAll("'", `'"'"'`)}'`;

beforeAll(async () => {
  s = await launchChromium();
  await s.page.goto(`${baseUrl}/demo/index.html?db=${DB}&noproxy`);
  await s.page.evaluate(() => window.engineReady);
  await ok(`docker pull -q ${registry}/fixtures/wasi-tools`);
  await ok(`docker tag ${registry}/fixtures/wasi-tools tools`);
}, T);
afterAll(() => s?.close());

describe('a container cannot reach the page or other containers', () => {
  it(
    'runs in Workers, which have no DOM and no window',
    async () => {
      await ok('docker run -d --name spinner tools spin');
      try {
        // The node agents (and their process Workers) are the Workers the page started. A Worker
        // busy running the spinning program cannot answer, so each gets a time limit.
        await expect.poll(() => s.page.workers().some((w) => w.url().includes('node-agent')), { timeout: 15_000 }).toBe(true);
        const scopes = await Promise.all(
          s.page.workers().map(async (w) => ({
            url: w.url(),
            kind: await Promise.race([
              w.evaluate(() => `${typeof document} ${typeof window} ${typeof importScripts}`),
              new Promise<string>((r) => setTimeout(() => r('busy'), 5_000)),
            ]),
          })),
        );
        console.log(`workers: ${JSON.stringify(scopes)}`);
        const answered = scopes.filter((w) => w.kind !== 'busy');
        expect(answered.some((w) => w.url.includes('node-agent'))).toBe(true);
        for (const w of answered) expect(w.kind, w.url).toBe('undefined undefined function');
      } finally {
        await ok('docker rm -f spinner');
      }
    },
    T,
  );

  it(
    'links a WASI module only to WASI: an import of anything else (JavaScript, the DOM) refuses to start',
    async () => {
      const r = await docker(`docker run --rm ${registry}/fixtures/wasi-bad`);
      expect(r.code).toBe(126);
      expect(r.stderr).toContain('unknown import: env.foo');
    },
    T,
  );

  it(
    'shows a WASI container its image’s files only, and not what another container of the image wrote',
    async () => {
      expect(await ok('docker run --rm tools ls /')).toBe('bin/\ndata/\nempty/\netc/\ntmp/\n');
      await ok('docker run --name wa tools write /tmp/secret-a from-a');
      expect(await ok('docker start -a wa')).toBe('');
      expect(await ok('docker diff wa')).toContain('A /tmp/secret-a\n');
      const other = await docker('docker run --rm tools cat /tmp/secret-a');
      expect(other.code).toBe(1);
      expect(other.stderr).toContain('No such file or directory');
      expect(await ok('docker run --rm tools ls /tmp')).toBe('');
    },
    T,
  );
});

describe('a WASI program stays inside its root', () => {
  beforeAll(async () => {
    await ok('docker run -d --name wb tools spin');
  }, T);
  const exec = (...args: string[]) => docker(`docker exec wb tools ${args.map(q).join(' ')}`);
  const out = async (...args: string[]) => {
    const r = await exec(...args);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const ROOT = 'bin/\ndata/\nempty/\netc/\ntmp/\n';

  it(
    'stops `..` at its root, from / and from a deeper directory',
    async () => {
      expect(await out('ls', '/..')).toBe(ROOT);
      expect(await out('ls', '/../../../..')).toBe(ROOT);
      expect(await out('ls', '/data/../../../..')).toBe(ROOT);
      expect(await out('cat', '/../../etc/motd')).toBe('motd from layer 2\n');
      expect(await out('stat', '/../..')).toMatch(/^dir /);
      expect(await ok(`docker exec -w /data/small wb tools cat ../../../../../etc/motd`)).toBe('motd from layer 2\n');
      // There is no host /etc/passwd behind the root: the image has none.
      const passwd = await exec('cat', '/../../../etc/passwd');
      expect(passwd.code).toBe(1);
      expect(passwd.stderr).toBe('tools: cat: /../../../etc/passwd: No such file or directory\n');
    },
    T,
  );

  it(
    'resolves absolute and relative symlinks that point above the root inside it',
    async () => {
      await out('ln', '-s', '/../../..', '/tmp/up-abs');
      await out('ln', '-s', '../../../../../../', '/tmp/up-rel');
      await out('ln', '-s', '/../../../etc/passwd', '/tmp/passwd');
      expect(await out('ls', '/tmp/up-abs')).toBe(ROOT);
      expect(await out('ls', '/tmp/up-rel')).toBe(ROOT);
      expect(await out('ls', '/tmp/up-rel/tmp/up-abs/tmp/up-rel/..')).toBe(ROOT);
      expect(await out('cat', '/tmp/up-abs/etc/motd')).toBe('motd from layer 2\n');
      expect((await exec('cat', '/tmp/passwd')).stderr).toContain('No such file or directory');
    },
    T,
  );

  it(
    'writes through `..` and symlinks land in its own root, unseen by other containers',
    async () => {
      await out('write', '/../../escaped', 'here');
      await out('write', '/tmp/up-rel/escaped-too', 'here too');
      expect(await out('ls', '/')).toBe('bin/\ndata/\nempty/\nescaped\nescaped-too\netc/\ntmp/\n');
      expect(await out('cat', '/escaped', '/escaped-too')).toBe('here\nhere too\n');
      expect(await ok('docker run --rm tools ls /')).toBe(ROOT);
      // Another container's file is not reachable by any path: wa wrote /tmp/secret-a.
      for (const p of ['/tmp/secret-a', '/../tmp/secret-a', '/tmp/up-abs/tmp/secret-a', '/tmp/up-rel/../../tmp/secret-a']) {
        expect((await exec('cat', p)).stderr, p).toContain('No such file or directory');
      }
      // Renaming into `..` of the root renames into the root.
      await out('mv', '/escaped', '/../../../moved');
      expect(await out('cat', '/moved')).toBe('here\n');
    },
    T,
  );
});

describe('an x86 guest stays inside its root over 9p', () => {
  let rootList: string;
  const sh = (script: string) => docker(`docker exec xb sh -c ${q(script)}`);
  const shOk = async (script: string) => {
    const r = await sh(script);
    expect(r.code, `${script}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    await ok(`docker run --name xa busybox sh -c ${q('echo secret-a > /marker-xa && mkdir -p /home/a && echo a > /home/a/marker-xa2')}`);
    await ok('docker run -d --name xb busybox sleep 3600');
    rootList = await shOk('ls -a /');
  }, T);

  it(
    'does not show another container’s files anywhere in its tree',
    async () => {
      expect(rootList).not.toContain('marker');
      expect(await shOk("find / -path /proc -prune -o -path /sys -prune -o -name 'marker-*' -print")).toBe('');
      // xa's own files are there, in xa's writable layer.
      expect((await ok('docker diff xa')).split('\n')).toEqual(expect.arrayContaining(['A /marker-xa']));
    },
    T,
  );

  it(
    'stops `..` and symlinks to / or above it at its root',
    async () => {
      expect(await shOk('cd /.. && pwd -P && ls -a')).toBe(`/\n${rootList}`);
      expect(await shOk('ls -a /../../')).toBe(rootList);
      expect(await shOk('ln -s / /tmp/root && ls -a /tmp/root/../../..')).toBe(rootList);
      expect(await shOk('ln -s ../../../../ /tmp/up && cd -P /tmp/up && pwd && ls -a')).toBe(`/\n${rootList}`);
      expect((await sh('cat /tmp/up/../../marker-xa')).code).not.toBe(0);
      // The mounts it sees: its 9p root and the kernel's filesystems, nothing of the guest's own root.
      const mounts = await shOk('cat /proc/mounts');
      console.log(`x86 /proc/mounts:\n${mounts}`);
      expect(mounts).toMatch(/^host9p \/ 9p /m);
      expect(mounts).not.toMatch(/ \/c[ /]/);
    },
    T,
  );

  it(
    'cannot leave its root with a chroot escape (root in the guest, a directory fd kept across chroot)',
    async () => {
      // The classic escape: keep a descriptor of / open, chroot into a subdirectory, then walk
      // `..` from that descriptor, which is outside the new root. It must end at the container's root.
      const r = await sh(
        'mkdir -p /jail/bin /jail/proc && cp /bin/busybox /jail/bin/ && mount -t proc proc /jail/proc && exec 3</ && ' +
          "chroot /jail /bin/busybox sh -c 'cd /proc/self/fd/3 && cd -P ../../../../.. && /bin/busybox ls -a'",
      );
      console.log(`chroot escape: code ${r.code}\n${r.stdout}${r.stderr}`);
      expect(r.code, r.stderr).toBe(0);
      // Correct: `..` stops at the container's root, so the listing is that root (plus /jail).
      // A hole: the guest's own initramfs (/init, /c, /lib …) shows, as the shim only chroots.
      const own = [...new Set([...rootList.split('\n').filter(Boolean), 'jail'])].sort().join('\n');
      expect(r.stdout.split('\n').filter(Boolean).sort().join('\n')).toBe(own);
      const seen = await sh(
        'exec 3</ && chroot /jail /bin/busybox sh -c ' +
          q("cd /proc/self/fd/3 && cd -P ../../../../.. && /bin/busybox find . -path ./proc -prune -o -path ./sys -prune -o -name 'marker-x*' -print"),
      );
      console.log(`chroot escape, markers: code ${seen.code}\n${seen.stdout}${seen.stderr}`);
      expect(seen.stdout).not.toContain('marker-xa');
    },
    T,
  );
});

describe('a page of a published port cannot read the engine’s storage', () => {
  it(
    'sees none of the engine’s IndexedDB databases, localStorage or caches',
    async () => {
      await ok('docker run -d --name site -p 8080:8080 web');
      const engineSide = await s.page.evaluate(async () => {
        localStorage.setItem('engine-secret', 'from the engine');
        await (await caches.open('engine-cache')).put('/secret', new Response('secret'));
        await window.portsReady;
        return { dbs: (await indexedDB.databases()).map((d) => d.name ?? ''), url: window.engine.ports.url(8080) };
      });
      expect(engineSide.dbs).toContain(DB);
      const tab = await s.context.newPage();
      try {
        await tab.goto(engineSide.url);
        // The first visit installs the ports origin's Service Worker and loads again.
        await tab.waitForFunction(() => navigator.serviceWorker?.controller !== null && document.readyState === 'complete', undefined, { timeout: 30_000 });
        const seen = await tab.evaluate(async (name) => {
          const dbs = (await indexedDB.databases()).map((d) => d.name ?? '');
          const opened = await new Promise<{ oldVersion: number; stores: number }>((resolve, reject) => {
            let oldVersion = -1;
            const req = indexedDB.open(name);
            req.onupgradeneeded = (e) => {
              oldVersion = e.oldVersion;
            };
            req.onsuccess = () => {
              const stores = req.result.objectStoreNames.length;
              req.result.close();
              indexedDB.deleteDatabase(name);
              resolve({ oldVersion, stores });
            };
            req.onerror = () => reject(req.error);
          });
          return {
            origin: location.origin,
            dbs,
            opened,
            local: localStorage.getItem('engine-secret'),
            localKeys: localStorage.length,
            caches: await caches.keys(),
          };
        }, DB);
        expect(seen.origin).not.toBe(new URL(baseUrl).origin);
        for (const name of engineSide.dbs) expect(seen.dbs).not.toContain(name);
        // Opening the engine's name there makes a new, empty database of that origin.
        expect(seen.opened).toEqual({ oldVersion: 0, stores: 0 });
        expect(seen.local).toBeNull();
        expect(seen.localKeys).toBe(0);
        expect(seen.caches).not.toContain('engine-cache');
      } finally {
        await tab.close();
      }
      // The engine's own database is untouched by that.
      expect(await s.page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name))).toContain(DB);
      expect((await ok('docker ps --format "{{.Names}}"')).split('\n')).toContain('site');
    },
    T,
  );
});
