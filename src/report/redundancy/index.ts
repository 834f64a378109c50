import { join } from 'node:path';
import type { ImageWaste, Summary } from '../../analysis/types.js';
import { chartFiles } from '../chart.js';
import { type HtmlScripts, htmlReport } from '../html.js';
import { reportCharts } from './charts.js';
import { reportCsv } from './csv.js';
import type { ReportFormat } from './formats.js';
import { reportMarkdown } from './markdown.js';

/**
 * The redundancy report's files, relative to the output dir: report.md with its SVG charts, report.html (the same
 * sections, interactive charts; it inlines SCRIPTS), csv/*.csv, summary.json.
 */
export async function redundancyReport(s: Summary, images: readonly ImageWaste[], formats: readonly ReportFormat[], scripts: HtmlScripts): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  if (formats.includes('md') || formats.includes('html')) {
    const charts = reportCharts(s, images);
    const md = reportMarkdown(s, charts);
    if (formats.includes('md')) Object.assign(files, { 'report.md': md }, await chartFiles(charts));
    if (formats.includes('html')) files['report.html'] = htmlReport(md, charts, scripts);
  }
  if (formats.includes('csv')) for (const [name, text] of Object.entries(reportCsv(s, images))) files[join('csv', name)] = text;
  if (formats.includes('json')) files['summary.json'] = `${JSON.stringify(s, null, 2)}\n`;
  return files;
}
