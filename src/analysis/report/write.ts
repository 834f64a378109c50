import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImgscanError } from '../../errors.js';
import type { ImageWaste, Summary } from '../types.js';
import { reportCharts } from './charts.js';
import { reportCsv } from './csv.js';
import { reportMarkdown } from './markdown.js';

export type ReportFormat = 'md' | 'csv' | 'json';
export const reportFormats: readonly ReportFormat[] = ['md', 'csv', 'json'];

/** The report's files, relative to the output dir: report.md with its SVG charts, csv/*.csv, summary.json. */
export function reportFiles(s: Summary, images: readonly ImageWaste[], formats: readonly ReportFormat[]): Record<string, string> {
  const files: Record<string, string> = {};
  if (formats.includes('md')) {
    const charts = reportCharts(s, images);
    files['report.md'] = reportMarkdown(s, charts);
    for (const c of charts) files[c.file] = c.svg;
  }
  if (formats.includes('csv')) for (const [name, text] of Object.entries(reportCsv(s, images))) files[join('csv', name)] = text;
  if (formats.includes('json')) files['summary.json'] = `${JSON.stringify(s, null, 2)}\n`;
  return files;
}

/** Writes the files into DIR, each through a temporary name; returns their paths. */
export function writeFiles(dir: string, files: Record<string, string>): string[] {
  try {
    return Object.entries(files).map(([name, content]) => {
      const path = join(dir, name);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(`${path}.tmp`, content);
      renameSync(`${path}.tmp`, path);
      return path;
    });
  } catch (err) {
    throw new ImgscanError('STORE', `cannot write the report: ${(err as Error).message}`, { path: dir }, { cause: err });
  }
}
