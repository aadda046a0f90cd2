import { OciSpecError } from '../errors.js';

declare const mediaTypeBrand: unique symbol;

/**
 * A syntactically valid media type (RFC 6838 `type/subtype`, optional parameters).
 * Obtained from {@link parseMediaType} or the {@link MediaType} constants. Unknown media types are
 * legal: the image-spec requires consumers to tolerate them.
 */
export type MediaType = string & { readonly [mediaTypeBrand]: true };

const mt = (value: string): MediaType => value as MediaType;

/** Well-known OCI and Docker schema2 media types. */
export const MediaType = {
  /** OCI content descriptor. */
  OciDescriptor: mt('application/vnd.oci.descriptor.v1+json'),
  /** OCI image layout header (`oci-layout` file). */
  OciLayoutHeader: mt('application/vnd.oci.layout.header.v1+json'),
  /** OCI image index. */
  OciIndex: mt('application/vnd.oci.image.index.v1+json'),
  /** OCI image manifest. */
  OciManifest: mt('application/vnd.oci.image.manifest.v1+json'),
  /** OCI image configuration. */
  OciConfig: mt('application/vnd.oci.image.config.v1+json'),
  /** Uncompressed OCI layer tar. */
  OciLayerTar: mt('application/vnd.oci.image.layer.v1.tar'),
  /** Gzip-compressed OCI layer tar. */
  OciLayerGzip: mt('application/vnd.oci.image.layer.v1.tar+gzip'),
  /** Zstd-compressed OCI layer tar. */
  OciLayerZstd: mt('application/vnd.oci.image.layer.v1.tar+zstd'),
  /** Non-distributable uncompressed OCI layer (deprecated by the image-spec). */
  OciNonDistributableLayerTar: mt('application/vnd.oci.image.layer.nondistributable.v1.tar'),
  /** Non-distributable gzip OCI layer (deprecated by the image-spec). */
  OciNonDistributableLayerGzip: mt('application/vnd.oci.image.layer.nondistributable.v1.tar+gzip'),
  /** Non-distributable zstd OCI layer (deprecated by the image-spec). */
  OciNonDistributableLayerZstd: mt('application/vnd.oci.image.layer.nondistributable.v1.tar+zstd'),
  /** The empty JSON descriptor content `{}` (used by artifacts). */
  OciEmpty: mt('application/vnd.oci.empty.v1+json'),
  /** Docker schema2 manifest list (the Docker index). */
  DockerManifestList: mt('application/vnd.docker.distribution.manifest.list.v2+json'),
  /** Docker schema2 image manifest. */
  DockerManifest: mt('application/vnd.docker.distribution.manifest.v2+json'),
  /** Docker schema1 signed manifest (deprecated; recognised, not supported). */
  DockerManifestSchema1Signed: mt('application/vnd.docker.distribution.manifest.v1+prettyjws'),
  /** Docker schema1 manifest (deprecated; recognised, not supported). */
  DockerManifestSchema1: mt('application/vnd.docker.distribution.manifest.v1+json'),
  /** Docker container image configuration. */
  DockerConfig: mt('application/vnd.docker.container.image.v1+json'),
  /** Docker gzip layer. */
  DockerLayerGzip: mt('application/vnd.docker.image.rootfs.diff.tar.gzip'),
  /** Docker zstd layer (containerd extension). */
  DockerLayerZstd: mt('application/vnd.docker.image.rootfs.diff.tar.zstd'),
  /** Docker foreign (non-distributable) gzip layer. */
  DockerForeignLayerGzip: mt('application/vnd.docker.image.rootfs.foreign.diff.tar.gzip'),
  /** Docker plugin configuration. */
  DockerPluginConfig: mt('application/vnd.docker.plugin.v1+json'),
} as const;

// RFC 6838 restricted-name, with optional `; name=value` parameters (token or quoted-string values).
const RESTRICTED_NAME = "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}";
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED = '"(?:[^"\\\\]|\\\\.)*"';
const MEDIA_TYPE = new RegExp(
  `^${RESTRICTED_NAME}/${RESTRICTED_NAME}(?:\\s*;\\s*${TOKEN}=(?:${TOKEN}|${QUOTED}))*$`,
);

/** True when `value` is a syntactically valid media type. */
export function isMediaType(value: unknown): value is MediaType {
  return typeof value === 'string' && MEDIA_TYPE.test(value);
}

/**
 * Parses a media type. Any syntactically valid type is accepted, known or not.
 * @throws OciSpecError `INVALID_MEDIA_TYPE` when the value is not `type/subtype` per RFC 6838.
 */
export function parseMediaType(value: unknown): MediaType {
  if (!isMediaType(value)) {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 200)) : typeof value;
    throw new OciSpecError('INVALID_MEDIA_TYPE', `invalid media type ${shown}: expected "type/subtype"`);
  }
  return value;
}

/** What a media type denotes in an image. */
export type MediaTypeKind = 'index' | 'manifest' | 'config' | 'layer' | 'empty' | 'layout' | 'descriptor' | 'unknown';

/** Compression of a layer media type. */
export type LayerCompression = 'none' | 'gzip' | 'zstd';

interface KnownType {
  kind: MediaTypeKind;
  compression?: LayerCompression;
  nonDistributable?: boolean;
  docker?: boolean;
}

const KNOWN: ReadonlyMap<string, KnownType> = new Map<string, KnownType>([
  [MediaType.OciDescriptor, { kind: 'descriptor' }],
  [MediaType.OciLayoutHeader, { kind: 'layout' }],
  [MediaType.OciIndex, { kind: 'index' }],
  [MediaType.OciManifest, { kind: 'manifest' }],
  [MediaType.OciConfig, { kind: 'config' }],
  [MediaType.OciLayerTar, { kind: 'layer', compression: 'none' }],
  [MediaType.OciLayerGzip, { kind: 'layer', compression: 'gzip' }],
  [MediaType.OciLayerZstd, { kind: 'layer', compression: 'zstd' }],
  [MediaType.OciNonDistributableLayerTar, { kind: 'layer', compression: 'none', nonDistributable: true }],
  [MediaType.OciNonDistributableLayerGzip, { kind: 'layer', compression: 'gzip', nonDistributable: true }],
  [MediaType.OciNonDistributableLayerZstd, { kind: 'layer', compression: 'zstd', nonDistributable: true }],
  [MediaType.OciEmpty, { kind: 'empty' }],
  [MediaType.DockerManifestList, { kind: 'index', docker: true }],
  [MediaType.DockerManifest, { kind: 'manifest', docker: true }],
  [MediaType.DockerConfig, { kind: 'config', docker: true }],
  [MediaType.DockerLayerGzip, { kind: 'layer', compression: 'gzip', docker: true }],
  [MediaType.DockerLayerZstd, { kind: 'layer', compression: 'zstd', docker: true }],
  [MediaType.DockerForeignLayerGzip, { kind: 'layer', compression: 'gzip', nonDistributable: true, docker: true }],
]);

/** Strips parameters (`; charset=...`) and surrounding space from a media type. */
export function mediaTypeEssence(mediaType: string): string {
  const semi = mediaType.indexOf(';');
  return (semi === -1 ? mediaType : mediaType.slice(0, semi)).trim();
}

/** Classifies a media type; anything not recognised is `'unknown'` (never an error). */
export function mediaTypeKind(mediaType: string): MediaTypeKind {
  return KNOWN.get(mediaTypeEssence(mediaType))?.kind ?? 'unknown';
}

/** True for the OCI index and the Docker manifest list. */
export function isIndexMediaType(mediaType: string): boolean {
  return mediaTypeKind(mediaType) === 'index';
}

/** True for the OCI image manifest and the Docker schema2 manifest. */
export function isManifestMediaType(mediaType: string): boolean {
  return mediaTypeKind(mediaType) === 'manifest';
}

/** True for the OCI image config and the Docker container config. */
export function isConfigMediaType(mediaType: string): boolean {
  return mediaTypeKind(mediaType) === 'config';
}

/** True for every known OCI or Docker layer media type. */
export function isLayerMediaType(mediaType: string): boolean {
  return mediaTypeKind(mediaType) === 'layer';
}

/** True for Docker schema2 media types. */
export function isDockerMediaType(mediaType: string): boolean {
  return KNOWN.get(mediaTypeEssence(mediaType))?.docker === true;
}

/** True for non-distributable OCI layers and Docker foreign layers. */
export function isNonDistributableMediaType(mediaType: string): boolean {
  return KNOWN.get(mediaTypeEssence(mediaType))?.nonDistributable === true;
}

/**
 * The compression of a layer media type. Known layer types map directly; other types ending in
 * `+gzip`/`.gzip`, `+zstd`/`.zstd` or `.tar` are recognised by suffix. `undefined` when unknown.
 */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  const essence = mediaTypeEssence(mediaType);
  const known = KNOWN.get(essence);
  if (known !== undefined) return known.compression;
  if (/[+.]gzip$/.test(essence)) return 'gzip';
  if (/[+.]zstd$/.test(essence)) return 'zstd';
  if (/[+.]tar$/.test(essence)) return 'none';
  return undefined;
}
