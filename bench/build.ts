// bench/build: `docker build` in the demo page (x86 busybox, real node Workers), each figure a
// ratio against a baseline measured in this same run:
//   1. a fully cached rebuild of a 10-step Dockerfile, against a `docker run --rm` of its image;
//   2. COPY of a 2,500-file context (--no-cache), against writing the same files to IndexedDB in
//      one transaction;
//   3. a RUN step (`RUN true`, --no-cache), against the same command in `docker run --rm`.
// Run: npx tsx bench/build.ts   (after set-up: `npm start` or `bash scripts/setup.sh --test`)
//   ROUNDS=5 FILES=2500
import { launchChromium } from '../test/support/chromium.ts';
import { startViteServer } from '../test/support/vite-server.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const FILES = Number(process.env.FILES ?? 2500);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const progress = (s: string) => process.stderr.write(`[bench:build] ${s}\n`);

const TEN_STEPS = `FROM busybox
ENV APP=/app
WORKDIR /app
COPY a.txt ./
RUN echo one > one.txt
RUN echo two > two.txt
LABEL bench=yes
EXPOSE 8080
COPY b.txt ./
CMD ["cat", "a.txt"]
`;

const vite = await startViteServer();
const s = await launchChromium();
const docker = async (cmd: string) => {
  const r = await s.page.evaluate((c) => window.docker(c), cmd);
  if (r.code !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return r;
};
const write = (files: [string, string][]) =>
  s.page.evaluate((fs) => {
    for (const [p, t] of fs) window.dockerFiles.set(p, new TextEncoder().encode(t));
  }, files);
const timed = async (f: () => Promise<unknown>) => {
  const t = performance.now();
  await f();
  return performance.now() - t;
};
async function rounds(f: () => Promise<unknown>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) xs.push(await timed(f));
  return median(xs);
}

try {
  await s.page.goto(`${vite.baseUrl}/demo/index.html?db=bench-build&noproxy`);
  await s.page.evaluate(() => window.engineReady);

  progress('10-step Dockerfile');
  await write([
    ['ten/Dockerfile', TEN_STEPS],
    ['ten/a.txt', 'a\n'],
    ['ten/b.txt', 'b\n'],
  ]);
  await docker('docker build -q -t ten ten');
  const cached = await rounds(async () => {
    const r = await docker('docker build -t ten ten');
    if ((r.stderr.match(/CACHED/g) ?? []).length < 6) throw new Error(`not fully cached:\n${r.stderr}`);
  });
  const run = await rounds(() => docker('docker run --rm ten'));

  progress(`COPY of ${FILES} files`);
  const context: [string, string][] = [['many/Dockerfile', 'FROM busybox\nCOPY . /ctx/\n']];
  for (let i = 0; i < FILES; i++) context.push([`many/d${i % 50}/f${i}.txt`, `file ${i} `.repeat(20)]);
  await write(context);
  const copy = await rounds(() => docker('docker build -q --no-cache many'));
  const idb = await rounds(() =>
    s.page.evaluate(async (n) => {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const req = indexedDB.open(`bench-copy-${Math.random()}`, 1);
        req.onupgradeneeded = () => req.result.createObjectStore('files');
        req.onsuccess = () => res(req.result);
        req.onerror = () => rej(req.error);
      });
      const tx = db.transaction('files', 'readwrite');
      for (let i = 0; i < n; i++) tx.objectStore('files').put(new TextEncoder().encode(`file ${i} `.repeat(20)), `d${i % 50}/f${i}.txt`);
      await new Promise((res) => (tx.oncomplete = res));
      db.close();
    }, FILES),
  );

  progress('RUN overhead');
  await write([['one/Dockerfile', 'FROM busybox\nRUN true\n']]);
  const runStep = await rounds(() => docker('docker build -q --no-cache one'));
  const plain = await rounds(() => docker('docker run --rm busybox true'));

  console.log(`docker build figures (median of ${ROUNDS}), each against a baseline of this run:`);
  console.log(`  cached rebuild, 10 steps        ${cached.toFixed(0)} ms   vs docker run --rm ${run.toFixed(0)} ms   ratio ${(cached / run).toFixed(2)}`);
  console.log(
    `  COPY of ${FILES} files (no cache)  ${copy.toFixed(0)} ms   vs one IndexedDB transaction ${idb.toFixed(0)} ms   ratio ${(copy / idb).toFixed(2)}`,
  );
  console.log(
    `  RUN true (no cache)             ${runStep.toFixed(0)} ms   vs docker run --rm busybox true ${plain.toFixed(0)} ms   ratio ${(runStep / plain).toFixed(2)}`,
  );
} finally {
  await s.close();
  await vite.close();
}
