// Images built by `docker build` in the demo page, pushed to the test registry, then copied to an
// OCI layout by skopeo and unpacked by umoci on the host: the host's tree must be, path by path,
// what a container of the same image shows in the page (type, mode with setuid/setgid/sticky,
// owner, size, content, symlink target, hard links), and the layer digests the host sees must be
// the ones the engine reports. The layers exercise the format: hard links (also to a lower
// layer's file), odd modes and owners, whiteouts of files and symlinks, a file replaced by a
// directory and back, rm -rf and recreate, empty files and directories, names beyond ustar's 100
// characters, COPY --chmod/--chown, COPY --from a stage; and a WASI image built with RUN and COPY.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile as writeHostFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';
import { type HostEntry, type HostImage, registryManifest, unpackFromRegistry, walkTree } from '../support/umoci-host.ts';

const registry = inject('registry');
const baseUrl = inject('baseUrl');
const run = Date.now().toString(36);
const X86_REPO = `umoci-${run}/x86`;
const WASI_REPO = `umoci-${run}/wasi`;
let s: BrowserSession;
const X86 = `${registry}/${X86_REPO}:1`;
const WASI = `${registry}/${WASI_REPO}:1`;
const hosts: HostImage[] = [];

const docker = (cmd: string) => s.page.evaluate((c) => window.docker(c), cmd);
const writeFile = (p: string, text: string) => s.page.evaluate(([f, t]) => window.dockerFiles.set(f!, new TextEncoder().encode(t)), [p, text]);
const ok = async (cmd: string) => {
  const r = await docker(cmd);
  expect(r.code, `${cmd}\n${r.stderr}`).toBe(0);
  return r.stdout;
};

/** 120 characters: beyond a ustar name (100), so the layer needs a PAX or GNU long-name record. */
const LONG = `long-${'n'.repeat(115)}`;

const X86_DOCKERFILE = `FROM busybox AS build
RUN mkdir -p /out/bin && printf '#!/bin/sh\\necho tool\\n' > /out/bin/tool && chmod 0750 /out/bin/tool && ln -s tool /out/bin/tool-link && echo data > /out/data.txt

FROM busybox
RUN set -e; mkdir -p /t/sub /t/empty-dir /t/deep/${LONG} /t/gone/${LONG}; \\
  echo two > /t/two.txt; echo one > /t/sub/one.txt; \\
  ln -s ../two.txt /t/sub/rel-link; ln -s /etc/passwd /t/abs-link; ln -s ${LONG}.txt /t/long-link; \\
  ln /t/two.txt /t/a-hard.txt; ln /t/two.txt /t/z-hard.txt; ln /hello.txt /t/hello-hard.txt; \\
  echo s > /t/suid; chmod 4755 /t/suid; echo g > /t/sgid; chmod 2750 /t/sgid; \\
  echo p > /t/priv; chmod 0640 /t/priv; chown 1000:1000 /t/priv /t/sub; chown 1000:2000 /t/sub/one.txt; \\
  chmod 1777 /t/empty-dir; : > /t/empty-file; \\
  echo long > /t/${LONG}.txt; echo deeper > /t/deep/${LONG}/${LONG}.txt; echo gone > /t/gone/${LONG}/f
RUN set -e; rm /etc/hl-b.txt /usr/local/bin/bb /etc/os-release; \\
  rm /home/app/.profile; mkdir /home/app/.profile; echo inside > /home/app/.profile/inside.txt; \\
  rm -rf /opt/data; mkdir /opt/data; echo fresh > /opt/data/fresh.txt; \\
  rm -rf /opt/replaceme; echo now-a-file > /opt/replaceme
RUN set -e; rm -rf /t/sub; mkdir /t/sub; echo again > /t/sub/again.txt; \\
  rm /t/two.txt; echo more >> /t/z-hard.txt; chmod 0600 /t/a-hard.txt; rm -rf /t/gone/${LONG}
COPY --chmod=4755 --chown=1000:1000 script.sh /usr/local/bin/script
COPY --chown=1000 data /srv/data/
COPY empty.txt /srv/
COPY --from=build /out/ /opt/tool/
COPY --from=build /out/data.txt /t/sub/from-build.txt
CMD ["cat", "/t/a-hard.txt"]
`;

const wasiDockerfile = () => `FROM ${registry}/fixtures/wasi-tools
RUN ["/bin/tools.wasm", "rm", "/etc/motd"]
RUN ["/bin/tools.wasm", "mkdir", "/made"]
RUN ["/bin/tools.wasm", "write", "/made/new.txt", "made by a WASI RUN"]
RUN ["/bin/tools.wasm", "ln", "-s", "../data/big.bin", "/made/big-link"]
COPY --chown=1000:1000 --chmod=0600 note.txt /made/note.txt
COPY --from=${X86} /t/a-hard.txt /from-x86/a-hard.txt
COPY ${LONG}.txt /made/
`;

type Seen = { type: string; mode: number; uid: number; gid: number; size: number; link?: string; ino: number; sha256?: string };

/** `stat` and `sha256sum` of everything in a container of `image` (its own mounts left out by -xdev). */
async function containerTree(image: string): Promise<Map<string, Seen>> {
  const list = await docker(
    `docker run --rm -u 0 ${image} sh -c "find / -xdev | xargs stat -c '%n|%F|%a|%u|%g|%s|%N|%i'; find / -xdev -type f | xargs sha256sum"`,
  );
  expect(list.code, list.stderr).toBe(0);
  const seen = new Map<string, Seen>();
  const lines = list.stdout.trim().split('\n');
  for (const line of lines.filter((l) => l.includes('|'))) {
    const [p, type, mode, uid, gid, size, quoted, ino] = line.split('|') as [string, string, string, string, string, string, string, string];
    const link = / -> '(.*)'$/.exec(quoted)?.[1];
    // busybox's stat, like GNU's, calls a 0-byte file a "regular empty file".
    const t = type === 'regular empty file' ? 'regular file' : type;
    seen.set(p, { type: t, mode: parseInt(mode, 8), uid: +uid, gid: +gid, size: +size, ino: +ino, ...(link !== undefined ? { link } : {}) });
  }
  for (const line of lines.filter((l) => !l.includes('|'))) {
    const [sha, p] = line.split(/\s+/) as [string, string];
    seen.get(p)!.sha256 = sha;
  }
  return seen;
}

const TYPE = { file: 'regular file', dir: 'directory', symlink: 'symbolic link', other: 'other' } as const;
/** /proc, /sys and /dev are mounted over in the guest, as under Docker: their own roots show. */
const MOUNTED = new Set(['/proc', '/sys', '/dev']);
/** Docker's own files, mounted over the image's: the container's hostname, hosts and resolv.conf. */
const DOCKERS = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf']);

/** Groups of paths that share an inode (hard links), each sorted, the groups sorted. */
function linkGroups(paths: Iterable<[string, number]>): string[][] {
  const by = new Map<number, string[]>();
  for (const [p, ino] of paths) by.set(ino, [...(by.get(ino) ?? []), p]);
  return [...by.values()]
    .filter((g) => g.length > 1)
    .map((g) => g.sort())
    .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

/** An entry of either side as the fields compared (owners left out when umoci ran rootless). */
function comparable(e: { type: string; mode: number; uid: number; gid: number; size?: number; sha256?: string; link?: string }, owners: boolean) {
  return {
    type: e.type,
    ...(e.type === 'symbolic link' ? { link: e.link } : { mode: e.mode }),
    ...(owners ? { uid: e.uid, gid: e.gid } : {}),
    ...(e.type === 'regular file' ? { size: e.size, sha256: e.sha256 } : {}),
  };
}
const fromHost = (h: HostEntry) => ({
  type: TYPE[h.type],
  mode: h.mode,
  uid: h.uid,
  gid: h.gid,
  size: h.size,
  ...(h.sha256 !== undefined ? { sha256: h.sha256 } : {}),
  ...(h.linkTarget !== undefined ? { link: h.linkTarget } : {}),
});

/** The image's diff IDs, history and pushed manifest, as the engine has them, against the host's. */
async function expectSameLayers(image: string, repoTag: [string, string], host: HostImage, pushOut: string) {
  const rootfs = JSON.parse(await ok(`docker inspect -f "{{json .RootFS}}" ${image}`)) as { Type: string; Layers: string[] };
  expect(rootfs.Type).toBe('layers');
  expect(host.config.rootfs.diff_ids).toEqual(rootfs.Layers);
  // What the layers really hold: each blob the host got, uncompressed and hashed here.
  expect(host.uncompressedDigests).toEqual(rootfs.Layers);
  const pushed = await registryManifest(registry, ...repoTag);
  expect(host.manifest.layers.map((l) => l.digest)).toEqual(pushed.layers.map((l) => l.digest));
  expect(host.manifest.layers.map((l) => l.size)).toEqual(pushed.layers.map((l) => l.size));
  const digest = /: digest: (sha256:[0-9a-f]{64}) size: \d+\n$/.exec(pushOut)?.[1];
  expect(digest).toBe(pushed.digest);
  expect((await ok(`docker inspect -f "{{index .RepoDigests 0}}" ${image}`)).trim()).toBe(`${registry}/${repoTag[0]}@${digest}`);
  // docker history: one row per history entry; the non-empty ones are the layers.
  const history = (await ok(`docker history -q --no-trunc ${image}`)).trim().split('\n');
  const hostHistory = host.config.history ?? [];
  expect(history.length).toBe(hostHistory.length);
  expect(hostHistory.filter((h) => !h.empty_layer).length).toBe(host.manifest.layers.length);
}

beforeAll(async () => {
  s = await launchChromium();
  await s.page.goto(`${baseUrl}/demo/index.html?db=build-umoci&noproxy`);
  await s.page.evaluate(() => window.engineReady);
  await writeFile('x86/Dockerfile', X86_DOCKERFILE);
  await writeFile('x86/script.sh', '#!/bin/sh\necho script\n');
  await writeFile('x86/data/a.txt', 'a\n');
  await writeFile('x86/data/sub/b.txt', 'b\n');
  await writeFile('x86/empty.txt', '');
  await writeFile('wasi/Dockerfile', wasiDockerfile());
  await writeFile('wasi/note.txt', 'a note\n');
  await writeFile(`wasi/${LONG}.txt`, 'long name from the context\n');
});
afterAll(async () => {
  await s?.close();
  await Promise.all(hosts.map((h) => h.remove()));
});

describe('a built image, unpacked on the host by umoci', () => {
  let host: HostImage;
  let pushOut: string;

  it('shows an x86 container of it exactly the tree umoci unpacks from the pushed image', async () => {
    await ok(`docker build -q -t ${X86} x86`);
    pushOut = await ok(`docker push ${X86}`);
    host = await unpackFromRegistry(`${registry}/${X86_REPO}:1`);
    hosts.push(host);
    // As root, umoci keeps the layers' owners; --rootless makes every file the caller's, so the
    // owners are compared only as root (CI runs the tests as root).
    const owners = !host.rootless;
    const seen = await containerTree(X86);
    for (const p of DOCKERS) expect(seen.get(p)?.type, p).toBe('regular file');
    const skip = (p: string) => MOUNTED.has(p) || DOCKERS.has(p);
    const want = new Map([...host.tree].filter(([p]) => !skip(p)).map(([p, h]) => [p, comparable(fromHost(h), owners)]));
    const got = new Map([...seen].filter(([p]) => p !== '/' && !skip(p)).map(([p, g]) => [p, comparable(g, owners)]));
    // Path by path, so a difference names its path.
    for (const [p, w] of want) expect(got.get(p), p).toEqual(w);
    expect([...got.keys()].filter((p) => !want.has(p))).toEqual([]);
    // Hard links: the same groups of names share an inode on both sides.
    const files = (m: Map<string, { type: string; ino: number }>, t: string) =>
      [...m].filter(([p, e]) => e.type === t && !skip(p)).map(([p, e]) => [p, e.ino] as [string, number]);
    const hostLinks = linkGroups(files(host.tree, 'file'));
    expect(hostLinks).toEqual(
      expect.arrayContaining([
        ['/t/a-hard.txt', '/t/z-hard.txt'],
        ['/hello.txt', '/t/hello-hard.txt'],
      ]),
    );
    expect(linkGroups(files(seen, 'regular file'))).toEqual(hostLinks);

    // The cases the Dockerfile makes are really there (so the comparison above covered them).
    const h = (p: string) => host.tree.get(p);
    expect(h('/t/suid')?.mode).toBe(0o4755);
    expect(h('/t/sgid')?.mode).toBe(0o2750);
    expect(h('/t/empty-dir')).toMatchObject({ type: 'dir', mode: 0o1777 });
    expect(h('/t/a-hard.txt')).toMatchObject({ mode: 0o600, nlink: 2 });
    expect(h('/t/z-hard.txt')?.size).toBe('two\nmore\n'.length);
    expect(h('/t/two.txt')).toBeUndefined();
    expect(h(`/t/${LONG}.txt`)?.type).toBe('file');
    expect(h('/t/long-link')?.linkTarget).toBe(`${LONG}.txt`);
    expect(h(`/t/deep/${LONG}/${LONG}.txt`)?.type).toBe('file');
    expect([...host.tree.keys()].filter((p) => p.startsWith('/t/gone/'))).toEqual([]);
    expect([...host.tree.keys()].filter((p) => p.startsWith('/t/sub/')).sort()).toEqual(['/t/sub/again.txt', '/t/sub/from-build.txt']);
    expect(h('/etc/hl-b.txt')).toBeUndefined();
    expect(h('/etc/hl-a.txt')).toMatchObject({ type: 'file', nlink: 1 });
    expect(h('/usr/local/bin/bb')).toBeUndefined();
    expect(h('/etc/os-release')).toBeUndefined();
    expect(h('/home/app/.profile')?.type).toBe('dir');
    expect([...host.tree.keys()].filter((p) => p.startsWith('/opt/data/'))).toEqual(['/opt/data/fresh.txt']);
    expect(h('/opt/replaceme')?.type).toBe('file');
    expect(h('/usr/local/bin/script')?.mode).toBe(0o4755);
    expect(h('/srv/empty.txt')).toMatchObject({ type: 'file', size: 0 });
    expect(h('/opt/tool/bin/tool')?.type).toBe('file');
    if (owners) {
      expect(h('/t/priv')).toMatchObject({ mode: 0o640, uid: 1000, gid: 1000 });
      expect(h('/t/sub/one.txt')).toBeUndefined();
      expect(h('/usr/local/bin/script')).toMatchObject({ uid: 1000, gid: 1000 });
      expect(h('/srv/data/sub/b.txt')).toMatchObject({ uid: 1000, gid: 1000 });
    }
  });

  it('reports the layers the host sees: diff IDs, the pushed manifest, docker history', async () => {
    expect(host, 'the x86 image was built and unpacked').toBeDefined();
    await expectSameLayers(X86, [X86_REPO, '1'], host, pushOut);
  });

  it('exports a WASI container of a built WASI image as the tree umoci unpacks', async () => {
    await ok(`docker build -q -t ${WASI} wasi`);
    const push = await ok(`docker push ${WASI}`);
    const wasi = await unpackFromRegistry(`${registry}/${WASI_REPO}:1`);
    hosts.push(wasi);
    await expectSameLayers(WASI, [WASI_REPO, '1'], wasi, push);
    // The engine's view: a created container's root as `docker cp` archives it, unpacked by tar.
    await ok(`docker create --name wasi-view ${WASI}`);
    const tar = await s.page.evaluate(() => window.docker('docker cp wasi-view:/ -'));
    expect(tar.code, tar.stderr).toBe(0);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'wasi-export-'));
    try {
      await writeHostFile(path.join(dir, 'root.tar'), Buffer.from(tar.stdout, 'latin1'));
      await promisify(execFile)('tar', ['-xpf', 'root.tar', '--numeric-owner', '-C', dir], { cwd: dir });
      await rm(path.join(dir, 'root.tar'));
      const exported = await walkTree(dir);
      const owners = !wasi.rootless;
      const want = new Map([...wasi.tree].map(([p, h]) => [p, comparable(fromHost(h), owners)]));
      const got = new Map([...exported].map(([p, h]) => [p, comparable(fromHost(h), owners)]));
      for (const [p, w] of want) expect(got.get(p), p).toEqual(w);
      expect([...got.keys()].filter((p) => !want.has(p))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await docker('docker rm wasi-view');
    }
    const w = (p: string) => wasi.tree.get(p);
    expect(w('/etc/motd')).toBeUndefined();
    expect(w('/made/new.txt')?.size).toBe('made by a WASI RUN\n'.length);
    expect(w('/made/big-link')?.linkTarget).toBe('../data/big.bin');
    expect(w('/made/note.txt')?.mode).toBe(0o600);
    if (!wasi.rootless) expect(w('/made/note.txt')).toMatchObject({ uid: 1000, gid: 1000 });
    expect(w('/from-x86/a-hard.txt')?.size).toBe('two\nmore\n'.length);
    expect(w(`/made/${LONG}.txt`)?.type).toBe('file');
  });
});
