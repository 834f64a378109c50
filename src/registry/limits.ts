/**
 * Bounds on what a registry may send, so that a broken or hostile registry ends in a clear error instead of
 * running for ever or filling memory. Each is generous: real registries and images stay far below them.
 */

/** Pages read of one listing (catalog, tag list, Docker Hub namespace) before it is refused as endless. */
export const defaultMaxListPages = 10_000;

/** Largest manifest or index read: the CNCF distribution registry refuses to store larger ones (4 MiB). */
export const maxManifestBytes = 4 * 1024 * 1024;

/** Largest image config read (configs of real images are kilobytes; one with 4096 layers' history is ~1 MiB). */
export const maxConfigBytes = 8 * 1024 * 1024;

/**
 * Layers per image manifest. Docker's overlay2 storage stacks at most 128 layers; registries accept more, and
 * this allows 32 times that.
 */
export const maxManifestLayers = 4096;
