// One measured scan in its own process: prints {seconds, maxRssBytes, summary} as JSON on stdout.
// Modes: 'chunking' (the chunkers of the next argument, a --chunking spec such as fixed:1m), 'streamed' (blobs
// streamed from the main thread, as from a registry). IMGSCAN_BENCH_SAMPLE_RATE sets --sample-rate (default: the
// scan's default), IMGSCAN_BENCH_INFLATER the gzip inflater (auto, igzip or zlib; default auto, as the CLI).
import { readFileSync, rmSync } from 'node:fs';
import { parseChunking } from '../../src/cli/chunking.js';
import { scanSources } from '../../src/pipeline/scan.js';
import { DEFAULT_SAMPLE_RATE } from '../../src/layers/sample.js';
import { resolveInflater, type InflaterChoice } from '../../src/layers/decompress.js';
import { openLocalSource } from '../../src/sources/open.js';
import type { Image, Layer, Source } from '../../src/sources/types.js';
import { DatasetWriter } from '../../src/store/writer.js';

const [ref, data, workers, mode, spec] = process.argv.slice(2);
rmSync(data, { recursive: true, force: true });

/** The source with its layers' file locations hidden: every blob then goes through `open`. */
function streamed(source: Source): Source {
  return {
    name: source.name,
    close: () => source.close(),
    async *images(): AsyncGenerator<Image> {
      for await (const image of source.images()) {
        const layers = (): Layer[] => image.layers().map(({ descriptor, diffId, open }) => ({ descriptor, diffId, open }));
        yield Object.assign(Object.create(image) as Image, { layers });
      }
    },
  };
}

const writer = await DatasetWriter.open(data);
const started = process.hrtime.bigint();
const cpuBefore = process.cpuUsage();
const source = openLocalSource(ref!);
const summary = await scanSources([mode === 'streamed' ? streamed(source) : source], writer, {
  workers: Number(workers),
  chunking: mode === 'chunking' ? parseChunking(spec ?? 'fastcdc:16k') : undefined,
  sampleRate: Number(process.env.IMGSCAN_BENCH_SAMPLE_RATE ?? DEFAULT_SAMPLE_RATE),
  inflater: resolveInflater((process.env.IMGSCAN_BENCH_INFLATER ?? 'auto') as InflaterChoice),
});
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
// CPU of the scan itself (all threads, and the igzip children it waited for), not of start-up.
const cpu = process.cpuUsage(cpuBefore);
const childCpuSeconds = childrenCpu();
writer.close();
process.stdout.write(JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 + childCpuSeconds, childCpuSeconds, maxRssBytes: peakRss(), summary }) + '\n');

/**
 * Peak RSS of this program: VmHWM, the high-water mark of the memory image exec created. Not getrusage's
 * maxRSS: Linux carries that across exec, so it would include the parent's RSS at fork.
 */
function peakRss(): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

/** CPU-seconds of the children this process waited for (cutime + cstime of /proc/self/stat): the igzip processes. */
function childrenCpu(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}
