/**
 * Reads back what a chart draws: the Vega-Lite spec an SVG carries in `<metadata id="vega-lite-spec">`, run
 * through Vega's headless view, and the rows of its named data sets ("points", "fit") as the view holds them.
 */
import { expect } from 'vitest';
import { compileSpec, headlessView, type VlSpec } from '../../../src/report/chart.js';
import { checkXml, unescapeXml } from './xml-check.js';

/** The spec an SVG chart carries. */
export function specOf(svg: string): VlSpec {
  const m = /<metadata id="vega-lite-spec">([\s\S]*?)<\/metadata>/.exec(svg);
  if (!m) throw new Error('no vega-lite-spec metadata');
  return JSON.parse(unescapeXml(m[1])) as VlSpec;
}

export type Row = Record<string, unknown>;

export interface Drawn {
  /** The rows of each named data set of the running view. */
  sets: Record<string, Row[]>;
  /** What Vega-Lite and Vega warned while compiling and running. */
  warnings: string[];
  /** The view's scenegraph as SVG. */
  svg: string;
}

/** Runs the spec in a headless Vega view and reads its data sets. */
export async function drawn(spec: VlSpec): Promise<Drawn> {
  const warnings = [...compileSpec(spec).warnings];
  const view = headlessView(spec, warnings);
  await view.runAsync();
  const sets: Record<string, Row[]> = {};
  for (const name of ['points', 'fit']) {
    try {
      sets[name] = (view.data(name) as Row[]).map((r) => Object.fromEntries(Object.entries(r)));
    } catch {
      // no such data set in this chart
    }
  }
  const svg = await view.toSVG();
  view.finalize();
  return { sets, warnings, svg };
}

/** The points of each series in ROWS, in the order they come: series name to [x, y] pairs. */
export function seriesOf(rows: readonly Row[], x = 'x', y = 'y'): Map<string, number[][]> {
  const out = new Map<string, number[][]>();
  for (const r of rows) {
    const name = String(r.series);
    if (!out.has(name)) out.set(name, []);
    out.get(name)!.push([Number(r[x]), Number(r[y])]);
  }
  return out;
}

/** An SVG chart file checked (well-formed, warning-free, with marks drawn) and read back: its spec and data. */
export async function readChart(svg: string): Promise<Drawn & { spec: VlSpec }> {
  expect(checkXml(svg)[0]).toBe('svg');
  const spec = specOf(svg);
  const d = await drawn(spec);
  expect(d.warnings).toEqual([]);
  expect(svg).toMatch(/class="mark-(line|area|rect|symbol) role-mark/);
  return { ...d, spec };
}
