import { ImgscanError, type ErrorCode } from '../errors.js';

/** The exit statuses of imgscan's commands. */
export const ExitStatus = {
  ok: 0,
  /** An error that is not the user's to fix by retyping the command. */
  error: 1,
  /** A bad flag, argument or reference. */
  usage: 2,
  /** The run finished, and some repositories, images or layers failed (rows in `failures`). */
  partial: 3,
  /** `analyze --image`: the image crosses a threshold. */
  gateFailed: 4,
} as const;

/** The exit status of each error code, the one table commands end by. */
const byCode: Record<ErrorCode, number> = {
  REF_INVALID: ExitStatus.usage,
  USAGE: ExitStatus.usage,
  SOURCE_NOT_FOUND: ExitStatus.error,
  MANIFEST_INVALID: ExitStatus.error,
  CONFIG_INVALID: ExitStatus.error,
  BLOB_MISSING: ExitStatus.error,
  DIGEST_MISMATCH: ExitStatus.error,
  SIZE_MISMATCH: ExitStatus.error,
  DIFFID_MISMATCH: ExitStatus.error,
  DECOMPRESS_FAILED: ExitStatus.error,
  TAR_INVALID: ExitStatus.error,
  UNAUTHORIZED: ExitStatus.error,
  DENIED: ExitStatus.error,
  NOT_FOUND: ExitStatus.error,
  RATE_LIMITED: ExitStatus.error,
  REGISTRY_ERROR: ExitStatus.error,
  NETWORK: ExitStatus.error,
  UNREACHABLE: ExitStatus.error,
  TOO_SLOW: ExitStatus.error,
  TIMEOUT: ExitStatus.error,
  TLS: ExitStatus.error,
  STORE: ExitStatus.error,
  TRACE_INVALID: ExitStatus.error,
  INTERNAL: ExitStatus.error,
};

/** Exit status for an error: by its code for an ImgscanError, 1 for anything else. */
export function exitCodeFor(err: unknown): number {
  return err instanceof ImgscanError ? byCode[err.code] : ExitStatus.error;
}
