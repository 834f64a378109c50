import { resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { ImgscanCommand } from './_base.js';
import { fail } from './_fail.js';
import { diffImages, type ImageDiff } from '../src/analysis/diff.js';
import { diffMarkdown } from '../src/report/image-diff/index.js';

export default class Diff extends ImgscanCommand {
  static override summary = 'Compare two scanned images: shared layers, paths added, removed and changed, bytes to pull.';
  static override description = `Both images must be in the dataset (scan or crawl them first). Layers are compared by digest; files by the final filesystem each image unpacks to (whiteouts and opaque directories applied); traffic is what a client pulls for B from nothing and when it holds A, under layer, file and chunk dedup. Prints Markdown, or the figures as JSON with --json. Figures are defined in docs/metrics.md.`;
  static override examples = [
    '<%= config.bin %> diff oci:./layout:1.0 oci:./layout:1.1 --data ./imgscan-data',
    '<%= config.bin %> diff sha256:3f1c0a... registry.example.com/app:2 --json',
  ];
  static override enableJsonFlag = true;
  static override args = {
    a: Args.string({ description: 'the image to compare from: a manifest digest, a ref as the report prints it, or a scan reference', required: true }),
    b: Args.string({ description: 'the image to compare to', required: true }),
  };
  static override flags = {
    data: Flags.string({ description: 'dataset directory (repeat for shards)', default: ['imgscan-data'], multiple: true }),
    top: Flags.integer({ description: 'differing paths listed (all by default)', min: 0 }),
  };

  async run(): Promise<ImageDiff & { schema_version: 1 }> {
    const { args, flags } = await this.parse(Diff);
    try {
      const diff = await diffImages({ dataDirs: flags.data.map((d) => resolve(d)), a: args.a, b: args.b, top: flags.top });
      if (!this.jsonEnabled()) process.stdout.write(diffMarkdown(diff));
      return { schema_version: 1, ...diff };
    } catch (err) {
      return fail(this, err);
    }
  }
}
