import type { TraceAnalysis } from '../../trace/analysis/analyze.js';
import { chartFiles } from '../chart.js';
import { type HtmlScripts, htmlReport } from '../html.js';
import { workloadCharts } from './charts.js';
import { workloadCsv } from './csv.js';
import { workloadMarkdown } from './markdown.js';

/**
 * The report of `trace analyze`, by file name: analyze.md with its SVG charts, analyze.html (the same sections,
 * interactive charts; it inlines SCRIPTS) and one CSV per table.
 */
export async function traceWorkloadReport(a: TraceAnalysis, scripts: HtmlScripts): Promise<Record<string, string>> {
  const csv = workloadCsv(a);
  const charts = workloadCharts(a);
  const md = workloadMarkdown(a, charts, Object.keys(csv));
  return { 'analyze.md': md, 'analyze.html': htmlReport(md, charts, scripts), ...csv, ...(await chartFiles(charts)) };
}
