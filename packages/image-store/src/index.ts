export { ImageStoreError, isImageStoreError } from './errors.js';
export type { ImageStoreErrorCode } from './errors.js';
export { readTar } from './tar/tar-reader.js';
export type { TarEntry, TarItem } from './tar/tar-reader.js';
export type { TarEntryType } from './tar/tar-header.js';
export { buildTar, encodeTarEntry, TAR_END } from './tar/tar-writer.js';
export type { TarWriteEntry } from './tar/tar-writer.js';
export { applyLayer } from './layer/apply-layer.js';
export type { ApplyLayerOptions, ApplyLayerResult, WhiteoutMode } from './layer/apply-layer.js';
