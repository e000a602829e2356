import type { Digest } from '../../core/oci/digest.ts';

/** Docker's per-layer pull states, with Docker's wording (the CLI prints them verbatim). */
export type LayerStatus =
  | 'Waiting'
  | 'Pulling fs layer'
  | 'Downloading'
  | 'Verifying Checksum'
  | 'Download complete'
  | 'Extracting'
  | 'Pull complete'
  | 'Already exists';

export type PullProgress =
  | { readonly kind: 'status'; readonly message: string }
  | {
      readonly kind: 'layer';
      /** Docker's short layer ID: 12 hex characters of the layer digest. */
      readonly id: string;
      readonly digest: Digest;
      readonly status: LayerStatus;
      readonly current?: number;
      readonly total?: number;
    };

export type ProgressListener = (p: PullProgress) => void;
