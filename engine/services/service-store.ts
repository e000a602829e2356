import { NotFoundError } from '../../core/errors.ts';
import type { Db } from '../../core/store/db.ts';
import type { ServiceRecord } from '../../core/store/service-types.ts';

/** Thrown for a service that does not exist; the CLI prints Docker's `No such service: x`. */
export class NoSuchServiceError extends NotFoundError {}

/** Services' desired state: in IndexedDB (it survives a reload), and in memory for reads. */
export class ServiceStore {
  private readonly byId = new Map<string, ServiceRecord>();

  constructor(private readonly db: Db) {}

  async load(): Promise<void> {
    for (const s of await this.db.getAll('services')) this.byId.set(s.ID, s);
  }

  all(): ServiceRecord[] {
    return [...this.byId.values()];
  }

  get(id: string): ServiceRecord | undefined {
    return this.byId.get(id);
  }

  /** By full ID, name, or an unambiguous ID prefix, as Docker resolves services. */
  resolve(idOrName: string): ServiceRecord {
    const exact = this.byId.get(idOrName) ?? this.all().find((s) => s.Spec.Name === idOrName);
    if (exact) return exact;
    const prefixed = this.all().filter((s) => s.ID.startsWith(idOrName));
    if (prefixed.length === 1 && idOrName) return prefixed[0]!;
    throw new NoSuchServiceError(`service ${idOrName} not found`);
  }

  /** Stored in memory at once, so readers see it before the write completes. */
  async save(s: ServiceRecord): Promise<void> {
    this.byId.set(s.ID, s);
    await this.db.put('services', s);
  }

  async delete(id: string): Promise<void> {
    this.byId.delete(id);
    await this.db.delete('services', id);
  }
}
