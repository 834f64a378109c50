import { createRequire } from 'node:module';

/**
 * BLAKE3-256, lowercase hex. Native (@napi-rs/blake-hash) when it loads, else WebAssembly (blake3-wasm).
 * IMGSCAN_BLAKE3=wasm forces the WebAssembly backend, IMGSCAN_BLAKE3=native forbids the fallback.
 */
export type Blake3BackendName = 'native' | 'wasm';

/** A reusable incremental hasher: `digest` returns the hex of everything since the last digest and resets. */
export interface Blake3Hasher {
  update(data: Uint8Array): void;
  digest(): string;
}

export interface Blake3Backend {
  readonly name: Blake3BackendName;
  createHasher(): Blake3Hasher;
  /** One-shot hash of a whole buffer. */
  hash(data: Uint8Array): string;
}

const require = createRequire(import.meta.url);

interface NativeHasher {
  update(input: Uint8Array): unknown;
  digest(format: 'hex'): string;
  reset(): void;
}
interface NativeModule {
  Blake3Hasher: new () => NativeHasher;
}

interface WasmHash {
  update(input: Uint8Array): void;
  digest(out: Uint8Array): void;
  free(): void;
}
interface WasmModule {
  hash(data: Uint8Array, out: Uint8Array): void;
  create_hasher(): WasmHash;
}

// A native hasher reused with reset() beats the one-shot blake3() on small inputs (no Buffer result per call).
function nativeBackend(mod: NativeModule): Blake3Backend {
  const shared = new mod.Blake3Hasher();
  return {
    name: 'native',
    createHasher() {
      const h = new mod.Blake3Hasher();
      return {
        update: (data) => void h.update(data),
        digest() {
          const hex = h.digest('hex');
          h.reset();
          return hex;
        },
      };
    },
    hash(data) {
      shared.update(data);
      const hex = shared.digest('hex');
      shared.reset();
      return hex;
    },
  };
}

function wasmBackend(mod: WasmModule): Blake3Backend {
  const out = new Uint8Array(32);
  const hex = () => Buffer.from(out.buffer, out.byteOffset, 32).toString('hex');
  return {
    name: 'wasm',
    createHasher() {
      let h: WasmHash | null = null;
      return {
        update(data) {
          h ??= mod.create_hasher();
          h.update(data);
        },
        digest() {
          if (h === null) mod.hash(new Uint8Array(0), out);
          else {
            h.digest(out);
            h.free();
            h = null;
          }
          return hex();
        },
      };
    },
    hash(data) {
      mod.hash(data, out);
      return hex();
    },
  };
}

/** Loads a backend: 'auto' tries native first and falls back to WebAssembly. */
export function loadBlake3(prefer: Blake3BackendName | 'auto' = 'auto'): Blake3Backend {
  if (prefer !== 'wasm') {
    try {
      return nativeBackend(require('@napi-rs/blake-hash') as NativeModule);
    } catch (err) {
      if (prefer === 'native') throw err;
    }
  }
  return wasmBackend(require('blake3-wasm/dist/wasm/nodejs/blake3_js.js') as WasmModule);
}

function preferred(): Blake3BackendName | 'auto' {
  const v = process.env['IMGSCAN_BLAKE3'];
  return v === 'wasm' || v === 'native' ? v : 'auto';
}

/** The backend selected at load time. */
export const blake3: Blake3Backend = loadBlake3(preferred());

/** Name of the active backend. */
export const blake3Backend: Blake3BackendName = blake3.name;

/** BLAKE3-256 hex of a whole buffer with the active backend. */
export function blake3Hex(data: Uint8Array): string {
  return blake3.hash(data);
}
