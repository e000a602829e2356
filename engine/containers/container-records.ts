import { InvalidParameterError, NotFoundError } from '../../core/errors.ts';
import type { Digest } from '../../core/oci/digest.ts';
import type { ContainerRecord } from '../../core/store/container-types.ts';
import type { Db } from '../../core/store/db.ts';
import { withNetworkFields } from './network-settings.ts';

/**
 * Every container's record, in memory for synchronous lookups and in IndexedDB so containers
 * survive reloads (as Docker's survive a daemon restart).
 */
export class ContainerRecords {
  private readonly byId = new Map<string, ContainerRecord>();

  constructor(private readonly db: Db) {}

  /** `bridgeId` is given to records stored before containers had networks (see withNetworkFields). */
  async load(bridgeId: string): Promise<void> {
    for (const r of await this.db.getAll('containers')) this.byId.set(r.Id, withNetworkFields(r, bridgeId));
  }

  /** The in-memory record changes at once, before it is stored: callers may announce it right away. */
  async save(r: ContainerRecord): Promise<ContainerRecord> {
    this.byId.set(r.Id, r);
    await this.db.put('containers', r);
    return r;
  }

  async delete(id: string): Promise<void> {
    this.byId.delete(id);
    await this.db.delete('containers', id);
  }

  get(id: string): ContainerRecord | undefined {
    return this.byId.get(id);
  }

  all(): ContainerRecord[] {
    return [...this.byId.values()];
  }

  /** The container named `name` (without the slash). */
  named(name: string): ContainerRecord | undefined {
    return this.all().find((r) => r.Name === `/${name}`);
  }

  /** By full or short ID, or by name (with or without the slash). */
  resolve(idOrName: string): ContainerRecord {
    const s = idOrName.trim();
    const byName = this.named(s.replace(/^\//, ''));
    if (byName) return byName;
    const hits = this.all().filter((r) => s.length > 0 && r.Id.startsWith(s));
    if (hits.length === 1) return hits[0]!;
    if (hits.length > 1) throw new InvalidParameterError(`multiple IDs found with provided prefix: ${s}`);
    throw new NotFoundError(`No such container: ${s}`);
  }

  /** Image IDs in use, for `docker rmi` conflicts. */
  usingImage(imageId: Digest): number {
    return this.all().filter((r) => r.Image === imageId).length;
  }

  usingVolume(name: string): string[] {
    return this.all()
      .filter((r) => r.Mounts.some((m) => m.Type === 'volume' && m.Name === name))
      .map((r) => r.Id);
  }

  /** Containers counted by state, for `docker info` (a paused one is counted as paused, not running). */
  counts(): { total: number; running: number; paused: number; stopped: number } {
    const all = this.all();
    const paused = all.filter((r) => r.State.Paused).length;
    const running = all.filter((r) => r.State.Running).length - paused;
    return { total: all.length, running, paused, stopped: all.length - running - paused };
  }
}
