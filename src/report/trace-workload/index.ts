import type { TraceAnalysis } from '../../trace/analysis/analyze.js';
import { workloadCharts } from './charts.js';
import { workloadCsv } from './csv.js';
import { workloadMarkdown } from './markdown.js';

/** The report of `trace analyze`: analyze.md, one CSV per table and the SVG charts, by file name. */
export function traceWorkloadReport(a: TraceAnalysis): Record<string, string> {
  const files = { ...workloadCsv(a), ...workloadCharts(a) };
  return { 'analyze.md': workloadMarkdown(a, Object.keys(files)), ...files };
}
