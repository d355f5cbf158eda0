/** Public surface of the artifact layer: content-addressed blobs (filesystem | S3), directories, GC, HTTP helpers, model cache. */
export type { BlobStore, BlobInfo, GetRange, PutOptions, PutResult } from './blob-store.js';
export { FsBlobStore, type FsBlobStoreOptions, type FsFaultHooks } from './fs-blob-store.js';
export { CoalescingFileSink, type CoalescingFileSinkOptions } from './coalescing-file-sink.js';
export { syncDirectories } from './sync-dirs.js';
export { pumpFile, type PumpOptions, type PumpTarget } from './file-pump.js';
export { processAlive } from './process-alive.js';
export { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';
export {
  ArtifactError,
  ARTIFACT_ERROR_CODES,
  ARTIFACT_ERROR_HTTP_STATUS,
  isArtifactError,
  type ArtifactErrorCode,
} from './errors.js';
export { isSha256, assertSha256, blobKey } from './digest.js';
export { parseRangeHeader, resolveRange, type ByteRange, type RangeRequest } from './byte-range.js';
export {
  MANIFEST_MEDIA_TYPE,
  parseManifest,
  serializeManifest,
  validateManifestPath,
  looksLikeManifest,
  type Manifest,
  type ManifestFile,
} from './manifest.js';
export { putDirectory, getDirectory, readManifest, type PutDirectoryResult, type DirectoryOptions } from './directory-transfer.js';
export { planGarbageCollection, type GcPlan } from './gc-plan.js';
export {
  collectGarbage,
  expandManifestReferences,
  type CollectGarbageOptions,
  type CollectGarbageResult,
} from './garbage-collector.js';
export { serveBlob, receiveUpload, contentDisposition, type ServeBlobOptions, type ReceiveUploadOptions } from './http-blob.js';
export { ModelCache, blobFetcher, directoryFetcher, type CacheFetcher, type ModelCacheOptions, type ModelCacheStats } from './model-cache.js';
export { planEviction, type CacheEntryState } from './cache-eviction.js';
