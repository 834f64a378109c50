/**
 * The HTML form of a Markdown report: the Markdown the report already writes (headings, tables, paragraphs,
 * lists, chart images) rendered to one self-contained page, so both forms hold the same sections. Each chart
 * image becomes the chart itself, drawn in the browser by vega-embed from the same Vega-Lite spec (with tooltips
 * and zoom); each table can be sorted by a click on its header and filtered with a text box. Vega, Vega-Lite and
 * vega-embed are inlined (`HtmlScripts`): the page needs no network. Pure: text in, text out; every value from
 * the data is escaped.
 *
 *   htmlReport(markdown, charts, scripts)   // "<!doctype html>..."
 */
import { type Chart, interactive } from './chart.js';

/** The three browser builds the page inlines, as read by `chartScripts` in write.ts. */
export interface HtmlScripts {
  vega: string;
  vegaLite: string;
  vegaEmbed: string;
}

/** Text escaped for HTML character data and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Inline Markdown of the reports on escaped text: `code`, **bold** and [text](relative-file) links. */
export function inlineHtml(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/\[([^\]]+)\]\(([\w./-]+)\)/g, (_, t: string, href: string) => (href.includes('..') ? t : `<a href="${href}">${t}</a>`));
}

/** The cells of a Markdown table row, unescaped (`\|` and `\\` as mdEscape writes them). */
export function tableCells(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && i + 1 < line.length) cur += line[++i];
    else if (c === '|') {
      cells.push(cur);
      cur = '';
    } else cur += c;
  }
  cells.push(cur);
  return cells.slice(1, -1).map((x) => x.trim());
}

const byteUnits: Record<string, number> = { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 };

/** The number a cell shows, for sorting: exact bytes where given, sizes in binary units, percentages, ratios; null for text. */
export function sortValue(cell: string): number | null {
  const bytes = /^(-?\d+(?:\.\d+)?) (B|KiB|MiB|GiB|TiB)(?: \((\d+)\))?/.exec(cell);
  if (bytes) return bytes[3] !== undefined ? Number(bytes[3]) : Number(bytes[1]) * byteUnits[bytes[2]];
  const n = /^(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)(?:%|x| s| pp| ms)?$/.exec(cell);
  return n ? Number(n[1]) : null;
}

function tableHtml(lines: readonly string[]): string {
  const header = tableCells(lines[0]);
  const align = tableCells(lines[1]).map((r) => (r.endsWith(':') && !r.startsWith(':') ? 'right' : 'left'));
  const body = lines.slice(2).map((l) => tableCells(l));
  const th = header.map((h, j) => `<th class="${align[j]}" title="sort by ${escapeHtml(h)}">${escapeHtml(h)}</th>`).join('');
  const tr = body.map((r) => `<tr>${r.map((c, j) => {
    const v = sortValue(c);
    return `<td class="${align[j] ?? 'left'}"${v === null ? '' : ` data-v="${v}"`}>${escapeHtml(c)}</td>`;
  }).join('')}</tr>`);
  const filter = body.length >= 6 ? '<input type="search" class="filter" placeholder="filter rows" aria-label="filter rows">\n' : '';
  return `<div class="table">${filter}<table class="data"><thead><tr>${th}</tr></thead><tbody>\n${tr.join('\n')}\n</tbody></table></div>`;
}

function slug(text: string, used: Set<string>): string {
  const base = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'section';
  let id = base;
  for (let i = 2; used.has(id); i++) id = `${base}-${i}`;
  used.add(id);
  return id;
}

function chartHtml(chart: Chart, index: number): string {
  return `<figure class="chart-figure"><div class="chart" data-chart="${index}" role="img" aria-label="${escapeHtml(chart.title)}"></div></figure>`;
}

/** The body of the page from the report's Markdown; a line that is a chart image of CHARTS becomes that chart. */
export function markdownToHtml(md: string, charts: readonly Chart[]): string {
  const lines = md.split('\n');
  const out: string[] = [];
  const ids = new Set<string>();
  let para: string[] = [];
  const flush = () => {
    if (para.length) out.push(`<p>${inlineHtml(para.join(' '))}</p>`);
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const heading = /^(#{1,6}) (.*)$/.exec(line);
    const image = /^!\[(.*)\]\(([^)\s]+)\)$/.exec(line);
    if (heading || image || line.startsWith('|') || line.startsWith('- ') || line.trim() === '') flush();
    if (heading) {
      const n = heading[1].length;
      out.push(`<h${n} id="${slug(heading[2], ids)}">${inlineHtml(heading[2])}</h${n}>`);
    } else if (image) {
      const k = charts.findIndex((c) => c.file === image[2]);
      if (k >= 0) out.push(chartHtml(charts[k], k));
    } else if (line.startsWith('|')) {
      const start = i;
      while (i + 1 < lines.length && lines[i + 1].startsWith('|')) i++;
      out.push(tableHtml(lines.slice(start, i + 1)));
    } else if (line.startsWith('- ')) {
      const items: string[] = [];
      for (; i < lines.length && lines[i].startsWith('- '); i++) items.push(`<li>${inlineHtml(lines[i].slice(2))}</li>`);
      i--;
      out.push(`<ul>${items.join('')}</ul>`);
    } else if (line.trim() !== '') para.push(line.trim());
  }
  flush();
  return out.join('\n');
}

/** A script for an inline <script> element: no sequence in it can end the element. */
function inlineScript(js: string): string {
  return `<script>${js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--')}</script>`;
}

/** The page's own script: draw each chart from its spec, make tables sortable (click a header) and filterable. */
const pageScript = `(function () {
  var specs = JSON.parse(document.getElementById('chart-specs').textContent);
  document.querySelectorAll('div.chart[data-chart]').forEach(function (el) {
    var spec = specs[Number(el.getAttribute('data-chart'))];
    vegaEmbed(el, spec, { actions: false, renderer: 'svg' })
      .then(function () { el.setAttribute('data-drawn', 'true'); })
      .catch(function (e) { el.setAttribute('data-error', String(e)); el.textContent = 'This chart could not be drawn: ' + e; });
  });
  function key(td) { return td.hasAttribute('data-v') ? Number(td.getAttribute('data-v')) : null; }
  function sortBy(table, col, th) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var numeric = rows.every(function (r) { return r.cells[col].textContent === '' || key(r.cells[col]) !== null; });
    var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
    rows.sort(function (a, b) {
      var x = a.cells[col], y = b.cells[col];
      if (numeric) return dir * ((key(x) === null ? -Infinity : key(x)) - (key(y) === null ? -Infinity : key(y)));
      return dir * x.textContent.localeCompare(y.textContent, undefined, { numeric: true });
    });
    Array.prototype.forEach.call(th.parentNode.cells, function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    rows.forEach(function (r) { body.appendChild(r); });
  }
  document.querySelectorAll('table.data').forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.addEventListener('click', function () { sortBy(table, col, th); });
    });
    var input = table.parentNode.querySelector('input.filter');
    if (input) input.addEventListener('input', function () {
      var q = input.value.toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
        r.style.display = r.textContent.toLowerCase().indexOf(q) >= 0 ? '' : 'none';
      });
    });
  });
})();`;

const style = `body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:.5em 0 1.2em;font-size:13px}th,td{border:1px solid #ddd;padding:3px 7px;vertical-align:top}
th{background:#f3f3f3;cursor:pointer;user-select:none}th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
td.right,th.right{text-align:right}div.table{overflow-x:auto}input.filter{margin:.3em 0;padding:3px 6px;width:20em}
code{background:#f3f3f3;padding:0 3px}figure{margin:1em 0}`;

/** The whole page: the report's sections from its Markdown, the charts' specs as JSON, the inlined libraries. */
export function htmlReport(md: string, charts: readonly Chart[], scripts: HtmlScripts): string {
  const title = /^# (.*)$/m.exec(md)?.[1] ?? 'imgscan report';
  const specs = JSON.stringify(charts.map(interactive)).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${style}</style>`,
    '</head><body>',
    markdownToHtml(md, charts),
    `<script type="application/json" id="chart-specs">${specs}</script>`,
    inlineScript(scripts.vega),
    inlineScript(scripts.vegaLite),
    inlineScript(scripts.vegaEmbed),
    inlineScript(pageScript),
    '</body></html>',
    '',
  ].join('\n');
}
