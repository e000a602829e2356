// Compiled modules a node keeps, so starting another process of an image skips compilation.
// A WebAssembly.Module posts to a Worker as a handle to the same compiled code.
export class ModuleCache {
  private readonly modules = new Map<string, WebAssembly.Module>();

  constructor(private readonly max = 32) {}

  set(key: string, module: WebAssembly.Module): void {
    this.modules.delete(key);
    this.modules.set(key, module);
    for (const old of this.modules.keys()) {
      if (this.modules.size <= this.max) break;
      this.modules.delete(old);
    }
  }

  /** All of them, oldest first (sent along with every process). */
  all(): ReadonlyMap<string, WebAssembly.Module> {
    return this.modules;
  }
}
