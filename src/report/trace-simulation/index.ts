import type { SimulateSummary } from '../../trace/sweep.js';
import { toCsvObjects } from '../csv.js';
import { simulationCharts } from './charts.js';
import { simulationMarkdown } from './markdown.js';

/**
 * The report of `trace simulate`, by file name: simulate.md, simulate.csv (every result) and SVG charts against
 * cache size. POLICYNAMES are the policies simulated without prefetching, in the order given.
 */
export function traceSimulationReport(s: SimulateSummary, policyNames: string[]): Record<string, string> {
  const charts = simulationCharts(s);
  const md = simulationMarkdown(s, policyNames, ['simulate.csv', ...Object.keys(charts)]);
  return { 'simulate.md': md, 'simulate.csv': toCsvObjects(s.results), ...charts };
}
