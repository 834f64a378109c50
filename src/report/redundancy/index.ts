import { join } from 'node:path';
import type { ImageWaste, Summary } from '../../analysis/types.js';
import { reportCharts } from './charts.js';
import { reportCsv } from './csv.js';
import type { ReportFormat } from './formats.js';
import { reportMarkdown } from './markdown.js';

/** The redundancy report's files, relative to the output dir: report.md with its SVG charts, csv/*.csv, summary.json. */
export function redundancyReport(s: Summary, images: readonly ImageWaste[], formats: readonly ReportFormat[]): Record<string, string> {
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
