/**
 * The HTML reports in a real browser: Debian's chromium, headless, started here and driven over the DevTools
 * protocol. Each report.html loads from file:// with no console error, draws every chart (SVG marks for each
 * series its spec holds), is not a blank page in a screenshot, and sorts a table by a click on its header and
 * filters it with its text box.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeDataset } from '../../src/analysis/analyze.js';
import { reportFormats } from '../../src/report/redundancy/formats.js';
import { redundancyReport } from '../../src/report/redundancy/index.js';
import { traceSimulationReport } from '../../src/report/trace-simulation/index.js';
import { traceWorkloadReport } from '../../src/report/trace-workload/index.js';
import { chartScripts, writeReport } from '../../src/report/write.js';
import { analyzeTrace } from '../../src/trace/analysis/analyze.js';
import { ingestTraces } from '../../src/trace/ingest.js';
import { simulateTrace } from '../../src/trace/sweep.js';
import { Browser, type Page, pngInk } from '../support/browser.js';
import { missingTools } from '../support/tools.js';
import { file, image, layer, randomDataset, writeRows } from '../unit/analysis/build.js';
import { samplePath } from '../unit/trace/sample.js';

const missing = await missingTools(['chromium'], 'the browser test of the HTML reports');
const root = mkdtempSync(join(tmpdir(), 'imgscan-report-html-'));
const hostile = '</script><img src=x onerror=alert(1)>';
let browser: Browser;
const pages: Record<string, string> = {};

beforeAll(async () => {
  if (missing.length) return;
  const random = randomDataset(7, 30, 12);
  const odd = layer('odd', [file(hostile, 'dup', 50000, 'other'), file('b', 'dup', 50000, 'other')]);
  await writeRows(join(root, 'data'), { layers: [...random.layers, odd], images: [...random.images, image('odd', [odd])] });
  const a = await analyzeDataset({ dataDirs: [join(root, 'data')], top: 10 });
  writeReport(join(root, 'analyze'), await redundancyReport(a.summary, a.images, reportFormats, chartScripts()));
  pages.analyze = join(root, 'analyze', 'report.html');
  await ingestTraces([samplePath], { dataDir: join(root, 'trace') });
  const t = await analyzeTrace({ dataDir: join(root, 'trace'), bucketSeconds: 60, top: 10 });
  writeReport(join(root, 'trace-analyze'), await traceWorkloadReport(t, chartScripts()));
  pages.trace = join(root, 'trace-analyze', 'analyze.html');
  const s = await simulateTrace({ dataDir: join(root, 'trace'), policies: ['lru', 'arc', 'prefetch'], prefetchTimeouts: [60, 600] });
  writeReport(join(root, 'trace-simulate'), await traceSimulationReport(s, ['lru', 'arc'], chartScripts()));
  pages.simulate = join(root, 'trace-simulate', 'simulate.html');
  browser = await Browser.launch();
});

afterAll(async () => {
  await browser?.close();
  rmSync(root, { recursive: true, force: true });
});

interface ChartState {
  title: string;
  drawn: boolean;
  error: string | null;
  svgs: number;
  marks: number;
  series: string[];
  missing: string[];
}

/** Each chart of the page: drawn or failed, its SVG and marks, and the series of its spec that no mark shows. */
const chartStates = `(() => {
  const specs = JSON.parse(document.getElementById('chart-specs').textContent);
  return [...document.querySelectorAll('div.chart')].map((el) => {
    const spec = specs[Number(el.dataset.chart)];
    const values = [spec.data ? spec.data.values : [], ...(spec.layer || []).map((l) => (l.data ? l.data.values : []))].flat();
    const series = [...new Set(values.map((v) => v.series))];
    const labels = [...el.querySelectorAll('svg [role="graphics-symbol"]')].map((n) => n.getAttribute('aria-label') || '');
    return { title: el.getAttribute('aria-label'), drawn: el.dataset.drawn === 'true', error: el.dataset.error || null,
      svgs: el.querySelectorAll('svg').length, marks: labels.length, series,
      missing: series.filter((s) => !labels.some((l) => l.includes('series: ' + s))) };
  });
})()`;

async function load(name: string): Promise<Page> {
  const page = await browser.open(pathToFileURL(pages[name]).href);
  await page.waitFor(`[...document.querySelectorAll('div.chart')].every((el) => el.dataset.drawn || el.dataset.error)`);
  return page;
}

/** The numbers (data-v) of a column of the table whose header row holds HEADERS, in the order shown. */
function column(table: string, col: number): string {
  return `[...${table}.tBodies[0].rows].map((r) => Number(r.cells[${col}].getAttribute('data-v')))`;
}

describe.skipIf(missing.length > 0)('the HTML reports in chromium', () => {
  for (const name of ['analyze', 'trace', 'simulate']) {
    it(`${name}: loads from file:// with no console error and draws every chart with its series`, async () => {
      const page = await load(name);
      const charts = await page.evaluate<ChartState[]>(chartStates);
      expect(charts.length).toBeGreaterThanOrEqual(name === 'simulate' ? 4 : 6);
      for (const c of charts) {
        expect(c, c.title).toMatchObject({ drawn: true, error: null, svgs: 1, missing: [] });
        expect(c.series.length, c.title).toBeGreaterThan(0);
        expect(c.marks, c.title).toBeGreaterThanOrEqual(c.series.length);
      }
      expect(page.errors).toEqual([]);
      // Not a blank page: a good share of the screenshot is ink (text, tables, charts).
      const png = pngInk(await page.screenshot());
      expect(png.height).toBeGreaterThan(2000);
      expect(png.ink / png.pixels).toBeGreaterThan(0.01);
    });
  }

  it('analyze: the hostile path shows as text, runs nothing', async () => {
    const page = await load('analyze');
    expect(await page.evaluate<boolean>(`[...document.querySelectorAll('td')].some((td) => td.textContent.includes(${JSON.stringify(hostile)}))`)).toBe(true);
    expect(await page.evaluate<number>(`document.querySelectorAll('body img').length`)).toBe(0);
    expect(page.errors).toEqual([]);
  });

  it('analyze: a click on a header sorts the least efficient images by it, a second click reverses', async () => {
    const page = await load('analyze');
    const table = `[...document.querySelectorAll('table.data')].find((t) => t.tHead.rows[0].textContent.includes('image_efficiency'))`;
    const headers = await page.evaluate<string[]>(`[...${table}.tHead.rows[0].cells].map((c) => c.textContent)`);
    const col = headers.indexOf('files_size');
    expect(col).toBeGreaterThan(0);
    const before = await page.evaluate<number[]>(column(table, col));
    expect(before.length).toBeGreaterThanOrEqual(3);
    const ascending = [...before].sort((a, b) => a - b);
    expect(before).not.toEqual(ascending); // else a click could not show anything
    const clickHeader = async () => {
      const r = await page.evaluate<{ x: number; y: number }>(`(() => { const th = ${table}.tHead.rows[0].cells[${col}]; th.scrollIntoView({ block: 'center' }); const b = th.getBoundingClientRect(); return { x: b.x + b.width / 2, y: b.y + b.height / 2 }; })()`);
      await page.click(r.x, r.y);
    };
    await clickHeader();
    expect(await page.evaluate<number[]>(column(table, col))).toEqual(ascending);
    await clickHeader();
    expect(await page.evaluate<number[]>(column(table, col))).toEqual([...ascending].reverse());
    expect(page.errors).toEqual([]);
  });

  it('analyze: the wheel zooms a CDF (its scales bound to an interval), a bar chart stays put', async () => {
    const page = await load('analyze');
    const chart = (title: string) =>
      `document.querySelector('div.chart[data-chart="' + JSON.parse(document.getElementById('chart-specs').textContent).findIndex((s) => s.title.text.startsWith(${JSON.stringify(title)})) + '"]')`;
    const labels = (title: string) => `[...${chart(title)}.querySelectorAll('.role-axis-label text')].map((t) => t.textContent).join(' ')`;
    const wheel = async (title: string) => {
      const r = await page.evaluate<{ x: number; y: number }>(`(() => { const el = ${chart(title)}; el.scrollIntoView({ block: 'center' }); const b = el.querySelector('svg').getBoundingClientRect(); return { x: b.x + b.width / 2, y: b.y + b.height / 2 }; })()`);
      await page.send('Input.dispatchMouseEvent', { type: 'mouseWheel', x: r.x, y: r.y, deltaX: 0, deltaY: -600 });
      await new Promise((done) => setTimeout(done, 500));
    };
    const cdf = 'File sizes';
    const before = await page.evaluate<string>(labels(cdf));
    await wheel(cdf);
    expect(await page.evaluate<string>(labels(cdf))).not.toBe(before);
    const bars = 'Bytes kept by each storage design';
    const barsBefore = await page.evaluate<string>(labels(bars));
    await wheel(bars);
    expect(await page.evaluate<string>(labels(bars))).toBe(barsBefore);
    expect(page.errors).toEqual([]);
  });

  it('trace: typing in a table\'s filter box leaves the rows holding the text', async () => {
    const page = await load('trace');
    const table = `[...document.querySelectorAll('table.data')].find((t) => t.tHead.rows[0].cells[0].textContent === 'client')`;
    const names = await page.evaluate<string[]>(`[...${table}.tBodies[0].rows].map((r) => r.textContent.toLowerCase())`);
    expect(names.length).toBe(10);
    const query = names[3].slice(0, 3);
    await page.evaluate(`${table}.parentNode.querySelector('input.filter').focus()`);
    await page.send('Input.insertText', { text: query });
    const shown = await page.evaluate<string[]>(`[...${table}.tBodies[0].rows].filter((r) => r.style.display !== 'none').map((r) => r.textContent.toLowerCase())`);
    expect(shown).toEqual(names.filter((n) => n.includes(query)));
    expect(shown.length).toBeGreaterThan(0);
  });
});
