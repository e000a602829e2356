// Side panels: what the engine holds (images now; containers, volumes and nodes as those
// arrive), kept current from engine events, and the virtual files `docker save/load` use.
import { humanSize } from '../runtime/cli/humanize.ts';
import type { VirtualFiles } from '../runtime/cli/virtual-files.ts';
import type { Engine } from '../runtime/engine.ts';
import { shortId } from '../runtime/oci/digest.ts';
import { formatPlatform } from '../runtime/oci/platform.ts';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function section(parent: HTMLElement, title: string): { list: HTMLElement; count: HTMLElement; head: HTMLElement } {
  const box = el('section', 'panel');
  const head = el('h2', 'panel-title', title);
  const count = el('span', 'panel-count');
  head.append(count);
  const list = el('div', 'panel-list');
  box.append(head, list);
  parent.append(box);
  return { list, count, head };
}

function empty(list: HTMLElement, text: string): void {
  list.replaceChildren(el('div', 'panel-empty', text));
}

export class Panels {
  private readonly images;
  private readonly files;
  private scheduled: ReturnType<typeof setTimeout> | undefined;

  constructor(
    root: HTMLElement,
    private readonly engine: Engine,
    private readonly vfiles: VirtualFiles,
    private readonly status: HTMLElement,
  ) {
    this.images = section(root, 'Images');
    for (const [title, hint] of [
      ['Containers', 'No containers yet.'],
      ['Volumes', 'No volumes yet.'],
      ['Nodes', 'No nodes yet.'],
    ] as const) {
      empty(section(root, title).list, hint);
    }
    this.files = section(root, 'Files');
    this.addUpload();
    engine.onEvent((e) => {
      if (e.Type === 'image') this.schedule();
    });
  }

  /** Coalesces bursts of events (a pull emits several) into one refresh. */
  schedule(): void {
    clearTimeout(this.scheduled);
    this.scheduled = setTimeout(() => void this.refresh(), 100);
  }

  async refresh(): Promise<void> {
    await Promise.all([this.refreshImages(), this.refreshStatus()]);
    this.refreshFiles();
  }

  private async refreshImages(): Promise<void> {
    const images = await this.engine.images.list();
    this.images.count.textContent = String(images.length);
    if (images.length === 0) return empty(this.images.list, 'No images. Try docker pull busybox.');
    this.images.list.replaceChildren(
      ...images.flatMap((img) =>
        (img.RepoTags.length ? img.RepoTags : ['<none>:<none>']).map((tag) => {
          const row = el('div', 'item');
          row.title = img.Id;
          row.append(
            el('span', 'item-name', tag),
            el('span', 'item-meta', `${shortId(img.Id)} · ${formatPlatform(img.Platform)} · ${humanSize(img.Size, 3)}`),
          );
          return row;
        }),
      ),
    );
  }

  private async refreshStatus(): Promise<void> {
    const info = await this.engine.info();
    const usage = info.StorageUsage !== undefined ? ` · storage ${humanSize(info.StorageUsage, 3)}${info.StorageQuota ? ` of ${humanSize(info.StorageQuota, 3)}` : ''}` : '';
    this.status.textContent = `engine ${info.ServerVersion} · ${info.Images} image${info.Images === 1 ? '' : 's'}${usage}`;
  }

  refreshFiles(): void {
    const paths = this.vfiles.list();
    this.files.count.textContent = String(paths.length);
    if (paths.length === 0) return empty(this.files.list, 'docker save -o NAME.tar writes here; upload a tar for docker load -i.');
    this.files.list.replaceChildren(
      ...paths.map((p) => {
        const bytes = this.vfiles.get(p)!;
        const row = el('div', 'item');
        const link = el('a', 'item-name', p);
        link.href = '#';
        link.title = 'Download';
        link.addEventListener('click', (ev) => {
          ev.preventDefault();
          const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/x-tar' }));
          const a = document.createElement('a');
          a.href = url;
          a.download = p.split('/').pop() || 'archive.tar';
          a.click();
          setTimeout(() => URL.revokeObjectURL(url), 1000);
        });
        row.append(link, el('span', 'item-meta', humanSize(bytes.byteLength, 3)));
        return row;
      }),
    );
  }

  private addUpload(): void {
    const input = el('input', 'upload-input');
    input.type = 'file';
    input.multiple = true;
    const button = el('button', 'panel-action', 'Upload');
    button.title = 'Add files for docker load -i';
    button.addEventListener('click', () => input.click());
    input.addEventListener('change', async () => {
      for (const f of input.files ?? []) this.vfiles.set(f.name, new Uint8Array(await f.arrayBuffer()));
      input.value = '';
      this.refreshFiles();
    });
    this.files.head.append(button, input);
  }
}
