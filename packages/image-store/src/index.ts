// Errors
export { ImageStoreError, isImageStoreError } from './errors.js';
export type { ImageStoreErrorCode } from './errors.js';

// The image store: pull, names, rootfs, gc, layout/archive, push, build
export { ImageStore } from './image-store.js';
export type { GcResult, ImageStoreOptions } from './image-store.js';
export type { StoreLockOptions } from './images/store-lock.js';
export { measureUsage } from './images/fs-usage.js';
export type { FsUsage } from './images/fs-usage.js';
export type { ImageRecord } from './images/image-record.js';
export { pullImage, registrySource, unpackImage } from './pull/pull-image.js';
export { WASM_CONFIG_MEDIA_TYPE, WASM_LAYER_MEDIA_TYPE, isWasmArtifact, wasmArtifactConfig, wasmLayerFileNames } from './pull/wasm-artifact.js';
export type { ImageSource, PullContext, PullOptions, PullProgress } from './pull/pull-image.js';
export { ImageBuilder } from './build/image-builder.js';
export type { BuildFile, BuilderDeps, CommitOptions, HistoryStep, ImageConfigChanges } from './build/image-builder.js';
export { buildImage } from './build/build-image.js';
export type { BuildImageOptions, BuildResult, BuildStepEvent } from './build/build-image.js';
export type { RunStepRequest, StepRunner } from './build/step-runner.js';
export { parseContainerfile } from './build/containerfile.js';
export type { At, CommandForm, Containerfile, Instruction, RawPair, Stage } from './build/containerfile.js';
export { expandWords, type ExpandOptions, type Variables } from './build/shell-words.js';
export { diffUpperDir } from './build/upper-diff.js';
export { BUILD_CACHE_FILE } from './build/build-cache.js';

// Registry client
export { MANIFEST_ACCEPT, RegistryClient } from './registry/registry-client.js';
export type { BlobReadOptions, FetchedManifest, RegistryClientOptions, RegistryHostConfig, RegistryTls, ResolvedImage } from './registry/registry-client.js';
export type { HttpRequest, HttpResponse, HttpTransport, RegistryResponse, RequestBody, RetryOptions, TransportOptions } from './registry/http-transport.js';
export type { PushBlobOptions, PushBlobResult } from './registry/blob-push.js';
export { loadDockerConfig, normalizeAuthKey, parseDockerConfig } from './registry/credentials.js';
export type { CredentialsProvider, RegistryCredentials } from './registry/credentials.js';
export { loadCertsDir, readHostCerts } from './registry/certs-dir.js';
export { loadHostsDir, parseHostsToml } from './registry/hosts-dir.js';
export type { RegistryHosts } from './registry/hosts-dir.js';
export { loadRegistriesConf, parseRegistriesConf } from './registry/registries-conf.js';
export type { RegistriesConf } from './registry/registries-conf.js';
export { loadRegistryConfigFiles, mergeRegistryHosts } from './registry/registry-config-files.js';
export type { RegistryConfigFiles } from './registry/registry-config-files.js';
export { defaultContainersCertsDir, defaultRegistriesConf, defaultSignaturePolicy, loadContainersRegistryHosts } from './registry/containers-defaults.js';
export type { ContainersDefaultsOptions } from './registry/containers-defaults.js';
export { parseWwwAuthenticate } from './registry/www-authenticate.js';
export type { AuthChallenge } from './registry/www-authenticate.js';
export { copyImage } from './registry/copy-image.js';
export type { CopyImageOptions, CopyImageResult } from './registry/copy-image.js';
export { inspectImage } from './registry/inspect-image.js';
export type { InspectResult, RemoteImage } from './registry/inspect-image.js';
export { parseManifestDocument } from './images/manifest-document.js';
export type { ManifestDocument } from './images/manifest-document.js';

// Content store and OCI layouts
export { ContentStore } from './content/content-store.js';
export type { BlobInfo, BlobSource, BlobSourceOpener, IngestOptions } from './content/content-store.js';
export { verifyStream } from './content/verify-stream.js';
export { layoutSource, readLayoutBlob, readLayoutIndex } from './layout/layout-source.js';
export { ANNOTATION_CONTAINERD_NAME, exportLayout } from './layout/export-layout.js';
export { packLayout, withUnpackedLayout } from './layout/layout-archive.js';

// Layers: tar, decompression, safe apply, snapshots
export { readTar } from './tar/tar-reader.js';
export type { TarEntry, TarItem } from './tar/tar-reader.js';
export type { TarEntryType } from './tar/tar-header.js';
export { buildTar, encodeTarEntry, encodeTarHeader, TAR_END, tarPadding } from './tar/tar-writer.js';
export type { TarWriteEntry } from './tar/tar-writer.js';
export { tarDirectory } from './tar/tar-directory.js';
export type { TarDirectoryOptions } from './tar/tar-directory.js';
export { compressionOfMediaType, decompress, detectCompression } from './compression/decompress.js';
export type { Compression } from './compression/decompress.js';
export type { ZstdDecoder } from './compression/zstd.js';
export { applyLayer } from './layer/apply-layer.js';
export type { ApplyLayerOptions, ApplyLayerResult, WhiteoutMode } from './layer/apply-layer.js';
export { chainIds } from './snapshot/chain-id.js';
export { isMountPoint, SnapshotStore } from './snapshot/snapshot-store.js';
export { Mounter } from './snapshot/mount.js';
export type { MountRequest } from './snapshot/mount.js';
export type { Rootfs, RootfsOptions, SnapshotFillContext, SnapshotterKind } from './snapshot/snapshot-store.js';
export { ATOMIC_TEMP_PREFIX, syncDir, writeFileAtomic, writeNewFile } from './content/atomic-write.js';

// Copies between transports (skopeo's docker://, oci:, oci-archive:, docker-archive:, and the store)
export { copyBetween } from './transport/copy-between.js';
export type { BlobCopyProgress, CopyBetweenOptions, CopyBetweenResult } from './transport/copy-between.js';
export type { BlobWriteResult, ImageReader, ImageWriter } from './transport/image-transport.js';
export { parseImageLocation, TRANSPORTS } from './transport/image-location.js';
export type { ImageLocation } from './transport/image-location.js';
export { openImageReader, openImageWriter } from './transport/open-location.js';
export type { LocationContext } from './transport/open-location.js';
export { registryReader, registryWriter } from './transport/registry-transport.js';
export { layoutReader, layoutWriter } from './transport/layout-transport.js';
export { ociArchiveReader, ociArchiveWriter } from './transport/oci-archive-transport.js';
export { dockerArchiveReader } from './transport/docker-archive-reader.js';
export { dockerArchiveWriter } from './transport/docker-archive-writer.js';
export { parseDockerArchiveManifest, pickDockerArchiveEntry } from './transport/docker-archive-manifest.js';
export type { DockerArchiveEntry } from './transport/docker-archive-manifest.js';
export { storeReader, storeWriter } from './transport/store-transport.js';
export { inspectReader, platformManifest, readConfigBlob } from './transport/inspect-reader.js';

// Signatures (sigstore and GPG simple signing) and containers-policy.json policies
export { buildSignaturePayload, parseSignaturePayload, SIGSTORE_PAYLOAD_TYPE, SIMPLE_SIGNING_TYPE } from './signature/signature-payload.js';
export type { SignatureClaim, SignaturePayloadType } from './signature/signature-payload.js';
export { COSIGN_PRIVATE_KEY_PEM, generateSigstoreKeyPair, loadSigstorePrivateKey, loadSigstorePublicKey, SIGSTORE_PRIVATE_KEY_PEM } from './signature/sigstore-key.js';
export type { SigstoreKeyPair } from './signature/sigstore-key.js';
export { signSigstorePayload, verifySigstorePayload } from './signature/sigstore-signature.js';
export type { SigstoreSignature } from './signature/sigstore-signature.js';
export { copySigstoreSignatures, readSigstoreSignatures, SIGSTORE_PAYLOAD_MEDIA_TYPE, SIGSTORE_SIGNATURE_ANNOTATION, sigstoreSignatureTag, writeSigstoreSignature } from './signature/sigstore-attachment.js';
export type { RepositoryImage } from './signature/sigstore-attachment.js';
export { gpgSign, gpgVerify } from './signature/gpg.js';
export type { GpgSignOptions, GpgVerified } from './signature/gpg.js';
export { lookasideUrl, readLookasideSignatures, writeLookasideSignature } from './signature/lookaside.js';
export type { LookasideImage } from './signature/lookaside.js';
export { loadRegistriesDir, signatureStorageFor } from './signature/registries-d.js';
export type { RegistriesDirConfig, SignatureStorageConfig } from './signature/registries-d.js';
export { loadSignaturePolicy, parseSignaturePolicy, POLICY_TRANSPORTS } from './signature/signature-policy.js';
export type { KeySource, PolicyRequirement, SignaturePolicy, SignedIdentity } from './signature/signature-policy.js';
export { identityMatches } from './signature/identity-match.js';
export { enforceSignaturePolicy, policyRequirementsFor } from './signature/policy-evaluate.js';
export type { PolicyImage } from './signature/policy-evaluate.js';
export { SignaturePolicyEnforcer } from './signature/policy-enforcer.js';
export type { SignaturePolicyEnforcerOptions } from './signature/policy-enforcer.js';
export { signRegistryImage } from './signature/sign-image.js';
export type { SignImageOptions, SignImageResult } from './signature/sign-image.js';
