import type { Db } from '../../core/store/db.ts';
import { readFile } from '../../core/store/file-store.ts';
import { containerScope, listScope } from '../../core/store/fs-entries.ts';
import { layerTar } from './layer-tar.ts';

/** Files the engine gives every container; Docker bind-mounts them, so they are never in its diff. */
const ENGINE_FILES = new Set(['/etc/hosts', '/etc/resolv.conf', '/etc/hostname']);

/** A container's writable layer as an image layer tar (a RUN's result, `docker commit`'s layer). */
export async function writableLayerTar(db: Db, containerId: string, opts: { mtime?: number } = {}): Promise<Uint8Array> {
  const entries = (await listScope(db, containerScope(containerId))).filter((e) => !ENGINE_FILES.has(e.path));
  return layerTar(entries, (sha) => readFile(db, sha), opts);
}
