import { ConflictError, InvalidParameterError, NotFoundError } from '../../core/errors.ts';
import type { VolumeRecord } from '../../core/store/container-types.ts';
import type { Db } from '../../core/store/db.ts';
import { countScope, deleteScope, listScope, volumeScope } from '../../core/store/fs-entries.ts';
import type { EventBus } from '../events.ts';
import { randomHex } from '../random-hex.ts';

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** IDs of the containers (running or not) that mount the volume. */
export type VolumeUsage = (name: string) => Promise<string[]>;

/**
 * Named volumes: IndexedDB entries (scope `v:<name>`) over the shared file store, mounted into
 * containers by the nodes. They outlive containers and page reloads.
 */
export class VolumeService {
  constructor(
    private readonly db: Db,
    private readonly dbName: string,
    private readonly events: EventBus,
    private readonly usage: VolumeUsage,
    /** Frees file contents nobody references any more. */
    private readonly collect: () => Promise<unknown>,
  ) {}

  /** `docker volume create`; an existing name is returned as it is, as Docker does. */
  async create(opts: { name?: string; labels?: Record<string, string>; anonymous?: boolean } = {}): Promise<VolumeRecord> {
    const name = opts.name ?? randomHex(64);
    if (!NAME_RE.test(name)) {
      throw new InvalidParameterError(
        `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed`,
      );
    }
    const existing = await this.db.get('volumes', name);
    if (existing) return existing;
    const rec: VolumeRecord = {
      Name: name,
      Driver: 'local',
      Mountpoint: `indexeddb://${this.dbName}/volumes/${name}`,
      CreatedAt: new Date().toISOString(),
      Labels: { ...(opts.labels ?? {}) },
      Scope: 'local',
      Anonymous: opts.anonymous ?? false,
    };
    await this.db.put('volumes', rec);
    this.events.emit('volume', 'create', name, { driver: 'local' });
    return rec;
  }

  async inspect(name: string): Promise<VolumeRecord> {
    const v = await this.db.get('volumes', name);
    if (!v) throw new NotFoundError(`get ${name}: no such volume`);
    return v;
  }

  async list(opts: { dangling?: boolean } = {}): Promise<VolumeRecord[]> {
    const all = await this.db.getAll('volumes');
    if (opts.dangling === undefined) return all;
    const out: VolumeRecord[] = [];
    for (const v of all) if (((await this.usage(v.Name)).length === 0) === opts.dangling) out.push(v);
    return out;
  }

  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.inspect(name);
    const users = await this.usage(name);
    if (users.length && !opts.force) {
      throw new ConflictError(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    }
    await deleteScope(this.db, volumeScope(name));
    await this.db.delete('volumes', name);
    this.events.emit('volume', 'destroy', name, {});
    await this.collect();
  }

  /** `docker volume prune`: unused anonymous volumes, or all unused ones with `all`. */
  async prune(opts: { all?: boolean } = {}): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
    const deleted: string[] = [];
    let bytes = 0;
    for (const v of await this.db.getAll('volumes')) {
      if (!opts.all && !v.Anonymous) continue;
      if ((await this.usage(v.Name)).length) continue;
      for (const e of await listScope(this.db, volumeScope(v.Name))) bytes += e.size ?? 0;
      await deleteScope(this.db, volumeScope(v.Name));
      await this.db.delete('volumes', v.Name);
      this.events.emit('volume', 'destroy', v.Name, {});
      deleted.push(v.Name);
    }
    if (deleted.length) await this.collect();
    return { VolumesDeleted: deleted, SpaceReclaimed: bytes };
  }

  /** Bytes of file contents in a volume (for `docker system df`). */
  async size(name: string): Promise<number> {
    let n = 0;
    for (const e of await listScope(this.db, volumeScope(name))) n += e.size ?? 0;
    return n;
  }

  entryCount(name: string): Promise<number> {
    return countScope(this.db, volumeScope(name));
  }
}
