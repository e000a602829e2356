// The bare baseline of bench/wasi.ts: a Worker that runs a WASI module with
// @bjorn3/browser_wasi_shim alone (no node, no IndexedDB, files in memory), posting output to
// the page as it is written, the way a process Worker does.
import { ConsoleStdout, Directory, File, type Inode, OpenFile, PreopenDirectory, WASI } from '@bjorn3/browser_wasi_shim';

export type ToShim =
  /** Compile and keep the module (the warm case). */
  | { readonly t: 'compile'; readonly bytes: ArrayBuffer }
  /** Put DIR/0001.txt .. DIR/N.txt in the memory filesystem, as `tools writemany DIR N` writes them. */
  | { readonly t: 'files'; readonly dir: string; readonly count: number }
  /** Run the kept module, or compile `bytes` first (the cold case). */
  | { readonly t: 'run'; readonly argv: readonly string[]; readonly env: readonly string[]; readonly bytes?: ArrayBuffer };

export type FromShim =
  | { readonly t: 'ready' }
  | { readonly t: 'out'; readonly data: Uint8Array }
  | { readonly t: 'exit'; readonly code: number; readonly error?: string };

let module: Promise<WebAssembly.Module> | undefined;
const root = new Map<string, Inode>();
const post = (m: FromShim, transfer: Transferable[] = []) => self.postMessage(m, { transfer });

function addFiles(dir: string, count: number): void {
  const files = new Map<string, Inode>();
  const enc = new TextEncoder();
  for (let i = 1; i <= count; i++) {
    const n = String(i).padStart(4, '0');
    files.set(`${n}.txt`, new File(enc.encode(`written file ${n}\n`)));
  }
  root.set(dir.replace(/^\/+/, ''), new Directory(files));
}

async function run(argv: readonly string[], env: readonly string[]): Promise<void> {
  const out = () =>
    new ConsoleStdout((data) => {
      const copy = data.slice();
      post({ t: 'out', data: copy }, [copy.buffer]);
    });
  const wasi = new WASI([...argv], [...env], [new OpenFile(new File([])), out(), out(), new PreopenDirectory('/', root)], {
    debug: false, // without it the shim logs every syscall to the console (its default when options are omitted)
  });
  const instance = await WebAssembly.instantiate(await module!, { wasi_snapshot_preview1: wasi.wasiImport });
  const code = wasi.start(instance as unknown as { exports: { memory: WebAssembly.Memory; _start: () => unknown } });
  post({ t: 'exit', code });
}

self.onmessage = async (e: MessageEvent<ToShim>) => {
  const m = e.data;
  try {
    if (m.t === 'compile') {
      module = WebAssembly.compile(m.bytes);
      await module;
      post({ t: 'ready' });
    } else if (m.t === 'files') {
      addFiles(m.dir, m.count);
      post({ t: 'ready' });
    } else {
      if (m.bytes) module = WebAssembly.compile(m.bytes);
      await run(m.argv, m.env);
    }
  } catch (err) {
    post({ t: 'exit', code: 125, error: err instanceof Error ? err.message : String(err) });
  }
};
