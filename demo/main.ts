// The demo page: an engine in this tab, a terminal running the docker CLI, and panels showing
// what the engine holds. Query parameters: `?db=NAME` picks the IndexedDB database (tests use it
// for isolation), `?noproxy` talks to registries directly instead of through the same-origin proxy.
import '@xterm/xterm/css/xterm.css';
import './styles.css';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { type DockerCommandOptions, dockerCommand, VirtualFiles } from '../cli/docker.ts';
import { Engine } from '../engine/index.ts';
import { mountPortsRelay } from '../ports-origin/relay-host.ts';
import { PORTS_ORIGIN_ENDPOINT } from '../ports-origin/wire.ts';
import { keepOffline } from '../site/offline.ts';
import { hasSameOriginProxy } from '../site/proxy-probe.ts';
import { Panels } from './panels.ts';
import { Shell } from './shell.ts';

declare global {
  interface Window {
    engine: Engine;
    /** Runs one non-interactive docker command (no TTY), sharing the terminal's files; `stdin` is piped in. */
    docker(cmdline: string, opts?: DockerCommandOptions): Promise<{ code: number; stdout: string; stderr: string }>;
    /** Resolves once the built-in images are loaded (or found missing). */
    engineReady: Promise<void>;
    /** Resolves once published ports open in tabs (`engine.ports.url(port)`); `engine.ports.fetch` works without it. */
    portsReady: Promise<void>;
    dockerFiles: VirtualFiles;
  }
}

const FONT_FAMILY = '"JetBrains Mono", "Fira Code", Menlo, Consolas, "DejaVu Sans Mono", monospace';
const FONT_SIZE = 13;
/** OCI layouts of the built-in images, made by set-up: hello and busybox; ruby. */
const BUILTIN_LAYOUTS = ['/images/demo/', '/images/ruby/'].map((p) => new URL(p, location.href).href);

const params = new URLSearchParams(location.search);
const dbName = params.get('db') || undefined;
const useProxy = !params.has('noproxy');

const term = new Terminal({
  convertEol: true,
  cursorBlink: true,
  fontFamily: FONT_FAMILY,
  fontSize: FONT_SIZE,
  scrollback: 5000,
  theme: {
    background: '#0d1117',
    foreground: '#c9d1d9',
    cursor: '#58a6ff',
    selectionBackground: '#264f78',
    black: '#484f58',
    red: '#ff7b72',
    green: '#3fb950',
    yellow: '#d29922',
    blue: '#58a6ff',
    magenta: '#bc8cff',
    cyan: '#39c5cf',
    white: '#b1bac4',
  },
});
const fit = new FitAddon();
term.loadAddon(fit);
const termHost = document.getElementById('terminal')!;
term.open(termHost);
fit.fit();
// A resize reaches the container's TTY through term.onResize (see Shell).
new ResizeObserver(() => fit.fit()).observe(termHost);
term.focus();

const WELCOME = [
  '\x1b[1mDocker in a browser tab\x1b[0m: an engine running in this page, images kept in IndexedDB,',
  'containers running on nodes that are Web Workers.',
  '',
  'Try:',
  '  \x1b[36mdocker run hello\x1b[0m                   run a WebAssembly (WASI) container',
  "  \x1b[36mdocker run --rm ruby -e 'puts 1+1'\x1b[0m  Ruby 3.4, as a WASI container",
  '  \x1b[36mdocker run -it --rm busybox sh\x1b[0m     a linux/386 shell under x86 emulation',
  '  \x1b[36mdocker run -d -p 8080:8080 web\x1b[0m     a WASI web server: then docker port, and open its URL',
  '  \x1b[36mdocker ps -a\x1b[0m                       the containers, running and exited',
  '  \x1b[36mdocker node ls\x1b[0m                     the nodes (crash one in the Nodes panel)',
  '  \x1b[36mdocker images\x1b[0m                      list images',
  '  \x1b[36mdocker pull --platform linux/386 alpine\x1b[0m  pull from Docker Hub (through the registry proxy)',
  '  \x1b[36mdocker image inspect busybox\x1b[0m       the image config as JSON',
  '  \x1b[36mdocker save -o b.tar busybox\x1b[0m       an archive in the Files panel (then docker load -i b.tar)',
  '  \x1b[36mdocker --help\x1b[0m                      everything else',
  '',
].join('\n');

const files = new VirtualFiles();
window.dockerFiles = files;

/** Whether a layout is there (a dev server answers unknown paths with the page itself). */
async function isLayout(url: string): Promise<boolean> {
  try {
    const res = await fetch(new URL('index.json', url));
    return res.ok && Array.isArray(((await res.json()) as { manifests?: unknown }).manifests);
  } catch {
    return false;
  }
}

/** Loads the offline images the demo ships with, unless the engine already has images. */
async function loadBuiltinImages(engine: Engine, shell: Shell): Promise<void> {
  if ((await engine.images.list()).length > 0) return;
  const present = await Promise.all(BUILTIN_LAYOUTS.map(isLayout));
  if (!present.some(Boolean)) {
    shell.write('\x1b[33mThe built-in images are missing (no /images/demo/index.json). Run `npm start`, which builds them.\x1b[0m\n\n');
    return;
  }
  shell.write('Loading built-in images…\n');
  for (const [i, url] of BUILTIN_LAYOUTS.entries()) {
    if (!present[i]) continue;
    for (const line of await engine.images.loadLayout(url)) shell.write(`${line}\n`);
  }
  shell.write('\n');
}

const status = document.getElementById('status')!;
const siteUpdate = document.getElementById('site-update')!;
keepOffline((message) => {
  siteUpdate.textContent = message;
  siteUpdate.hidden = false;
});
/** Long enough to read why the page reloads. */
const RELOAD_DELAY_MS = 1500;
status.textContent = 'opening the engine…';
// A static host (`npm run build`) has no proxy: then the page talks to registries directly.
const proxied = useProxy ? hasSameOriginProxy() : Promise.resolve(false);
const opened = proxied.then((proxy) =>
  Engine.open({
    ...(dbName ? { dbName } : {}),
    // The Nodes panel's "Add in a tab" opens demo/node.html, which joins this engine.
    tabNodes: true,
    ...(proxy ? { registry: { proxy: `${location.origin}/` }, egress: `${location.origin.replace(/^http/, 'ws')}/egress` } : {}),
    onDatabaseClosed(message) {
      status.textContent = 'reloading: a newer version of the engine opened in another tab';
      term.write(`\r\n\x1b[33m${message}; reloading into the new version…\x1b[0m\r\n`);
      setTimeout(() => location.reload(), RELOAD_DELAY_MS);
    },
  }),
);
// Defined at once so scripts can use them before the engine is open; they wait for it.
window.docker = async (cmdline: string, opts?: DockerCommandOptions) => dockerCommand(await opened, cmdline, files, opts);
window.engineReady = (async () => {
  const engine = await opened;
  window.engine = engine;
  const shell = new Shell(term, engine, files);
  const panels = new Panels(document.getElementById('panels')!, engine, files, status);
  shell.onCommandDone = () => panels.refreshFiles();
  // The ports panel's links need the ports origin, which may come up after the first refresh.
  void window.portsReady.then(() => panels.refresh()).catch(() => undefined);
  shell.write(WELCOME);
  try {
    await loadBuiltinImages(engine, shell);
  } catch (e) {
    shell.write(`\x1b[31mLoading the built-in images failed: ${e instanceof Error ? e.message : String(e)}\x1b[0m\n\n`);
    throw e;
  } finally {
    void panels.refresh();
    void shell.run();
  }
})();
/** Published ports open on the ports origin, which the dev server starts beside this one (README, "Published ports"). */
async function mountPorts(engine: Engine): Promise<void> {
  const res = await fetch(PORTS_ORIGIN_ENDPOINT);
  const body = (await res.json().catch(() => ({}))) as { origin?: string; error?: string };
  if (!body.origin) throw new Error(`this server has no ports origin (${body.error ?? `${PORTS_ORIGIN_ENDPOINT}: ${res.status}`})`);
  await mountPortsRelay(
    body.origin,
    (hostPort, request) => engine.ports.fetch(hostPort, request),
    (hostPort, path, protocols) => engine.ports.websocket(hostPort, path, protocols),
  );
  engine.ports.useOrigin(body.origin);
}
window.portsReady = opened.then(mountPorts);
window.portsReady.catch((e: unknown) =>
  console.warn(`published ports open only from script (engine.ports.fetch): ${e instanceof Error ? e.message : String(e)}`),
);

window.engineReady.catch((e: unknown) => {
  console.error(e);
  if (!window.engine) term.write(`\x1b[31mThe engine could not start: ${e instanceof Error ? e.message : String(e)}\x1b[0m\r\n`);
});
