/** Media types of the OCI image spec and their Docker equivalents. */
export const MediaType = {
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciLayer: 'application/vnd.oci.image.layer.v1.tar',
  OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OciLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  OciEmpty: 'application/vnd.oci.empty.v1+json',
  OciLayoutHeader: 'application/vnd.oci.layout.header.v1+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  WasmConfig: 'application/vnd.wasm.config.v0+json',
  WasmConfigV1: 'application/vnd.wasm.config.v1+json',
  WasmLayer: 'application/wasm',
  WasmLayerV1: 'application/vnd.wasm.content.layer.v1+wasm',
} as const;

/** Sent on every manifest request; distribution 2.8 answers 404 for OCI types it was not asked for. */
export const MANIFEST_ACCEPT = [MediaType.OciIndex, MediaType.OciManifest, MediaType.DockerManifestList, MediaType.DockerManifest].join(', ');

export type LayerCompression = 'gzip' | 'zstd' | 'none' | 'wasm';

/** How a layer blob is encoded, or undefined if we do not know the media type. */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  switch (mediaType) {
    case MediaType.OciLayerGzip:
    case MediaType.DockerLayerGzip:
      return 'gzip';
    case MediaType.OciLayerZstd:
      return 'zstd';
    case MediaType.OciLayer:
    case MediaType.DockerLayer:
      return 'none';
    case MediaType.WasmLayer:
    case MediaType.WasmLayerV1:
      return 'wasm';
    default:
      return undefined;
  }
}

export function isIndexType(mt: string): boolean {
  return mt === MediaType.OciIndex || mt === MediaType.DockerManifestList;
}

export function isManifestType(mt: string): boolean {
  return mt === MediaType.OciManifest || mt === MediaType.DockerManifest;
}

export function isWasmConfigType(mt: string): boolean {
  return mt === MediaType.WasmConfig || mt === MediaType.WasmConfigV1;
}
