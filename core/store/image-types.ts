import type { Digest } from '../oci/digest.ts';
import type { Descriptor, ImageConfig } from '../oci/manifest.ts';
import type { Platform } from '../oci/platform.ts';

/** An image as the engine knows it; its ID is the config digest, as in Docker. */
export interface ImageRecord {
  readonly id: Digest;
  readonly manifestDigest: Digest;
  readonly manifestMediaType: string;
  /** `registry/repository@digest` for each repository it was pulled from (the index digest when pulled via an index). */
  readonly repoDigests: readonly string[];
  readonly config: ImageConfig;
  readonly platform: Platform;
  readonly layers: readonly Descriptor[];
  readonly diffIds: readonly Digest[];
  readonly chainIds: readonly Digest[];
  /** Uncompressed size of all layers' file contents. */
  readonly size: number;
  readonly createdAt: number;
  /**
   * Set on images `docker build` made as a step's result: the step's cache key. They are its build
   * cache, shown by `docker images -a` only, and removed by `docker builder prune`.
   */
  readonly buildCacheKey?: string;
}
