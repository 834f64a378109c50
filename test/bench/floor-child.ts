// The hashing floor of gzip blobs in its own process (run pinned to one core: igzip's child inherits the pin):
// decompression through the scan's own decompressor, sha256 of each blob (its digest), sha256 of the tar
// (diff_id) and BLAKE3 of the content; no tar walk, no rows. Prints {seconds, tarBytes} as JSON.
// Usage: node floor-child.js zlib|igzip BLOB...
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createDecompressor, resolveInflater } from '../../src/layers/decompress.js';
import { blake3 } from '../../src/layers/hash.js';

const [choice, ...blobs] = process.argv.slice(2);
const inflater = resolveInflater(choice === 'igzip' ? 'igzip' : 'zlib');
const started = process.hrtime.bigint();
let tarBytes = 0;
for (const blob of blobs) {
  const blobHash = createHash('sha256');
  const tarHash = createHash('sha256');
  const content = blake3.createHasher();
  const d = createDecompressor('gzip', (out) => {
    tarBytes += out.length;
    tarHash.update(out);
    content.update(out);
  }, inflater);
  for await (const chunk of createReadStream(blob, { highWaterMark: 1 << 20 })) {
    blobHash.update(chunk as Buffer);
    await d.write(chunk as Buffer);
  }
  await d.end();
  blobHash.digest();
  tarHash.digest();
  content.digest();
}
process.stdout.write(JSON.stringify({ seconds: Number(process.hrtime.bigint() - started) / 1e9, tarBytes }) + '\n');
