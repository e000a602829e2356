// Side panels: what the engine holds (containers with start/stop/rm buttons, images, volumes,
// published ports with the links that open them, nodes with their service tasks and a "crash"
// button for the failover demo), kept current from engine events, and the virtual files
// `docker save/load/cp` use.
import { humanSize } from '../cli/humanize.ts';
import type { VirtualFiles } from '../cli/virtual-files.ts';
import type { Engine } from '../engine/index.ts';
import { formatPlatform, shortId } from '../engine/index.ts';
import { type FolderFile, filesFromDirectoryHandle, filesFromDirectoryInput } from './folder-files.ts';

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

function button(label: string, title: string, action: () => Promise<unknown>, onError: (e: unknown) => void): HTMLButtonElement {
  const b = el('button', 'item-button', label);
  b.title = title;
  b.addEventListener('click', () => {
    b.disabled = true;
    action()
      .catch(onError)
      .finally(() => (b.disabled = false));
  });
  return b;
}

export class Panels {
  private readonly containers;
  private readonly images;
  private readonly volumes;
  private readonly ports;
  private readonly nodes;
  private readonly files;
  private scheduled: ReturnType<typeof setTimeout> | undefined;
  private ticker: ReturnType<typeof setInterval> | undefined;

  constructor(
    root: HTMLElement,
    private readonly engine: Engine,
    private readonly vfiles: VirtualFiles,
    private readonly status: HTMLElement,
  ) {
    this.containers = section(root, 'Containers');
    this.images = section(root, 'Images');
    this.volumes = section(root, 'Volumes');
    this.ports = section(root, 'Published ports');
    this.nodes = section(root, 'Nodes');
    this.files = section(root, 'Files');
    this.addUpload();
    this.addFolder();
    this.addNodeButton();
    engine.onEvent(() => this.schedule());
  }

  private error(e: unknown): void {
    this.status.textContent = `error: ${e instanceof Error ? e.message : String(e)}`;
  }

  /** Coalesces bursts of events (a pull emits several) into one refresh. */
  schedule(): void {
    clearTimeout(this.scheduled);
    this.scheduled = setTimeout(() => void this.refresh(), 100);
  }

  async refresh(): Promise<void> {
    await Promise.all([this.refreshContainers(), this.refreshImages(), this.refreshVolumes(), this.refreshStatus()]);
    this.refreshPorts();
    this.refreshNodes();
    this.refreshFiles();
  }

  /** Each published port, with a link that opens it in a tab of the ports origin (once it is up). */
  private refreshPorts(): void {
    const ports = this.engine.ports.list();
    this.ports.count.textContent = String(ports.length);
    if (ports.length === 0) {
      empty(this.ports.list, 'None. Try docker run -d -p 8080:8080 web, then open its link here.');
      return;
    }
    this.ports.list.replaceChildren(
      ...ports.map((p) => {
        const row = el('div', 'item');
        const label = `${p.hostPort} → ${p.containerPort}/${p.protocol}`;
        let url: string | undefined;
        try {
          url = this.engine.ports.url(p.hostPort);
        } catch {
          // No ports origin (a server without one): the port answers engine.ports.fetch only.
        }
        const name = url ? el('a', 'item-name', label) : el('span', 'item-name', label);
        if (url && name instanceof HTMLAnchorElement) {
          name.href = url;
          name.target = '_blank';
          name.rel = 'noopener';
          name.title = url;
        }
        const owner = this.engine.containers.list({ all: true }).find((c) => c.Id === p.containerId);
        row.append(name, el('span', 'item-meta', owner ? owner.Names[0]!.replace(/^\//, '') : p.containerId.slice(0, 12)));
        return row;
      }),
    );
  }

  private refreshContainers(): void {
    const all = this.engine.containers.list({ all: true });
    this.containers.count.textContent = String(all.length);
    // "Up 5 seconds" ages: while something runs, redraw now and then.
    const running = all.some((c) => c.State === 'running' || c.State === 'restarting');
    if (running && this.ticker === undefined) this.ticker = setInterval(() => this.refreshContainers(), 5000);
    if (!running && this.ticker !== undefined) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
    if (all.length === 0) {
      empty(this.containers.list, 'No containers. Try docker run -d hello.');
      return;
    }
    const c = this.engine.containers;
    const onError = (e: unknown) => this.error(e);
    this.containers.list.replaceChildren(
      ...all.map((ctr) => {
        const row = el('div', 'item');
        row.title = ctr.Id;
        row.dataset['name'] = ctr.Names[0]!.slice(1);
        const name = el('span', 'item-name');
        name.append(el('span', `state-dot state-${ctr.State}`), document.createTextNode(ctr.Names[0]!.slice(1)));
        const meta = el('span', 'item-meta', `${ctr.Image} · ${ctr.Status}${ctr.Node ? ` · ${ctr.Node}` : ''}`);
        const actions = el('span', 'item-actions');
        const live = ctr.State === 'running' || ctr.State === 'restarting';
        if (live) actions.append(button('stop', 'docker stop', () => c.stop(ctr.Id), onError));
        else actions.append(button('start', 'docker start', () => c.start(ctr.Id), onError));
        actions.append(button('rm', 'docker rm -f', () => c.remove(ctr.Id, { force: true }), onError));
        row.append(name, meta, actions);
        return row;
      }),
    );
  }

  private async refreshImages(): Promise<void> {
    const images = await this.engine.images.list();
    this.images.count.textContent = String(images.length);
    if (images.length === 0) {
      empty(this.images.list, 'No images. Try docker pull busybox.');
      return;
    }
    this.images.list.replaceChildren(
      ...images.flatMap((img) =>
        (img.RepoTags.length ? img.RepoTags : ['<none>:<none>']).map((tag) => {
          const row = el('div', 'item');
          row.title = img.Id;
          row.append(el('span', 'item-name', tag), el('span', 'item-meta', `${shortId(img.Id)} · ${formatPlatform(img.Platform)} · ${humanSize(img.Size, 3)}`));
          return row;
        }),
      ),
    );
  }

  private async refreshVolumes(): Promise<void> {
    const volumes = await this.engine.volumes.list();
    this.volumes.count.textContent = String(volumes.length);
    if (volumes.length === 0) {
      empty(this.volumes.list, 'No volumes. Try docker volume create data.');
      return;
    }
    volumes.sort((a, b) => a.Name.localeCompare(b.Name));
    this.volumes.list.replaceChildren(
      ...volumes.map((v) => {
        const row = el('div', 'item');
        row.title = v.Mountpoint;
        const users = this.engine.containers.usingVolume(v.Name).length;
        const name = v.Anonymous ? `${v.Name.slice(0, 12)}…` : v.Name;
        row.append(
          el('span', 'item-name', name),
          el('span', 'item-meta', `${v.Driver}${v.Anonymous ? ' · anonymous' : ''} · ${users ? `used by ${users}` : 'unused'}`),
        );
        return row;
      }),
    );
  }

  private refreshNodes(): void {
    const nodes = this.engine.nodes.list();
    this.nodes.count.textContent = String(nodes.length);
    if (nodes.length === 0) {
      empty(this.nodes.list, 'No nodes: containers cannot run. Add one with docker node create.');
      return;
    }
    const perNode = new Map<string, number>();
    for (const c of this.engine.containers.list()) perNode.set(c.Node, (perNode.get(c.Node) ?? 0) + 1);
    this.nodes.list.replaceChildren(
      ...nodes.map((n) => {
        const row = el('div', 'item');
        row.title = n.ID;
        row.dataset['name'] = n.Name;
        const name = el('span', 'item-name');
        name.append(el('span', `state-dot state-${n.State === 'ready' ? 'running' : 'dead'}`), document.createTextNode(n.Name));
        const count = perNode.get(n.Name) ?? 0;
        row.append(name, el('span', 'item-meta', `${n.State} · ${count} container${count === 1 ? '' : 's'}`));
        // Its running service tasks (`web.1`), so a crash shows them moving to the other nodes.
        const tasks = this.engine.services
          .tasksOnNode(n.ID)
          .filter((t) => t.container.State.Running)
          .map((t) => t.name.slice(0, t.name.lastIndexOf('.')))
          .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
        if (tasks.length) {
          const list = el('span', 'item-tasks');
          list.append(...tasks.map((t) => el('span', 'task-chip', t)));
          row.append(list);
        }
        const actions = el('span', 'item-actions');
        if (n.State === 'ready') {
          actions.append(
            button(
              'crash',
              'End this node as a crash would: its containers stop and restart policies take over',
              async () => this.engine.nodes.crash(n.Name),
              (e) => this.error(e),
            ),
          );
        } else {
          actions.append(
            button(
              'rm',
              'docker node rm',
              async () => this.engine.nodes.remove(n.Name, { force: true }),
              (e) => this.error(e),
            ),
          );
        }
        row.append(actions);
        return row;
      }),
    );
  }

  private addNodeButton(): void {
    const b = el('button', 'panel-action', 'Add');
    b.title = 'docker node create';
    b.addEventListener('click', () => {
      try {
        this.engine.nodes.add();
      } catch (e) {
        this.error(e);
      }
    });
    // A node in another tab (demo/node.html): the cluster spans tabs.
    const tab = el('a', 'panel-action', 'Add in a tab');
    tab.title = 'a node that runs in a new tab; closing that tab is a node failure';
    tab.setAttribute('href', `node.html?db=${encodeURIComponent(this.engine.dbName)}`);
    tab.setAttribute('target', '_blank');
    this.nodes.head.append(b, tab);
  }

  private async refreshStatus(): Promise<void> {
    const info = await this.engine.info();
    const left = Math.max(0, (info.StorageQuota ?? 0) - (info.StorageUsage ?? 0));
    const usage =
      info.StorageUsage !== undefined
        ? ` · storage ${humanSize(info.StorageUsage, 3)} used, ${humanSize(left, 3)} left${info.StoragePersisted ? ' (persistent)' : ''}`
        : '';
    const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
    this.status.textContent = `engine ${info.ServerVersion} · ${plural(info.ContainersRunning, 'running container')} · ${plural(info.Images, 'image')} · ${plural(info.Nodes, 'node')}${usage}`;
  }

  refreshFiles(): void {
    const paths = this.vfiles.list();
    this.files.count.textContent = String(paths.length);
    if (paths.length === 0) {
      empty(this.files.list, 'docker save -o NAME.tar and docker cp write here; upload a tar for docker load -i, or a folder for docker build FOLDER.');
      return;
    }
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

  /** A folder for `docker build FOLDER`: the File System Access picker where there is one, else `<input webkitdirectory>`. */
  private addFolder(): void {
    const input = el('input', 'upload-input folder-input');
    input.type = 'file';
    input.webkitdirectory = true;
    const button = el('button', 'panel-action', 'Folder');
    button.title = 'Add a folder, e.g. a build context for docker build FOLDER';
    const add = async (files: Promise<readonly FolderFile[]>) => {
      const picked = await files;
      for (const [path, data] of picked) this.vfiles.set(path, data);
      this.status.textContent = `added ${picked.length} file${picked.length === 1 ? '' : 's'} from ${picked[0]?.[0].split('/')[0] ?? 'an empty folder'}`;
      this.refreshFiles();
    };
    button.addEventListener('click', () => {
      const w = window as { showDirectoryPicker?: () => Promise<FileSystemDirectoryHandle> };
      if (!w.showDirectoryPicker) return input.click();
      w.showDirectoryPicker().then(
        (dir) => add(filesFromDirectoryHandle(dir)).catch((e) => this.error(e)),
        // Cancelling the picker is not an error.
        (e: unknown) => (e instanceof DOMException && e.name === 'AbortError' ? undefined : this.error(e)),
      );
    });
    input.addEventListener('change', () => {
      add(filesFromDirectoryInput(input.files!))
        .catch((e) => this.error(e))
        .finally(() => (input.value = ''));
    });
    this.files.head.append(button, input);
  }
}
