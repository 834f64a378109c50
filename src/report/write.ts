import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImgscanError } from '../errors.js';
import type { HtmlScripts } from './html.js';

/**
 * Writes a report's files into DIR: names are relative paths (csv/x.csv makes csv/), each file goes through a
 * temporary name and a rename, so a reader never sees half a file. Returns the paths written; a failure is one
 * STORE error naming the file.
 */
export function writeReport(dir: string, files: Record<string, string>): string[] {
  return Object.entries(files).map(([name, content]) => {
    const path = join(dir, name);
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(`${path}.tmp`, content);
      renameSync(`${path}.tmp`, path);
    } catch (err) {
      throw new ImgscanError('STORE', `cannot write the report: ${(err as Error).message}`, { path }, { cause: err });
    }
    return path;
  });
}

/** A package's browser build: the file beside the module Node resolves for it (its build/ folder). */
function browserBuild(pkg: string, file: string): string {
  const path = join(dirname(fileURLToPath(import.meta.resolve(pkg))), file);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ImgscanError('INTERNAL', `cannot read ${pkg}'s browser build for the HTML report: ${(err as Error).message}`, { path }, { cause: err });
  }
}

let scripts: HtmlScripts | undefined;

/** The minified Vega, Vega-Lite and vega-embed builds from the installed packages, which report.html inlines. */
export function chartScripts(): HtmlScripts {
  scripts ??= {
    vega: browserBuild('vega', 'vega.min.js'),
    vegaLite: browserBuild('vega-lite', 'vega-lite.min.js'),
    vegaEmbed: browserBuild('vega-embed', 'vega-embed.min.js'),
  };
  return scripts;
}
