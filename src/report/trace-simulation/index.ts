import type { SimulateSummary } from '../../trace/sweep.js';
import { chartFiles } from '../chart.js';
import { toCsvObjects } from '../csv.js';
import { type HtmlScripts, htmlReport } from '../html.js';
import { simulationCharts } from './charts.js';
import { simulationMarkdown } from './markdown.js';

/**
 * The report of `trace simulate`, by file name: simulate.md with its SVG charts against cache size,
 * simulate.html (the same sections, interactive charts; it inlines SCRIPTS) and simulate.csv (every result).
 * POLICYNAMES are the policies simulated without prefetching, in the order given.
 */
export async function traceSimulationReport(s: SimulateSummary, policyNames: string[], scripts: HtmlScripts): Promise<Record<string, string>> {
  const charts = simulationCharts(s);
  const md = simulationMarkdown(s, policyNames, charts, ['simulate.csv']);
  return { 'simulate.md': md, 'simulate.html': htmlReport(md, charts, scripts), 'simulate.csv': toCsvObjects(s.results), ...(await chartFiles(charts)) };
}
