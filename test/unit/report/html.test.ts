import { describe, expect, it } from 'vitest';
import { stepCdf } from '../../../src/report/chart.js';
import { escapeHtml, htmlReport, inlineHtml, markdownToHtml, sortValue, tableCells } from '../../../src/report/html.js';
import { mdTable } from '../../../src/report/markdown.js';
import { chartScripts } from '../../../src/report/write.js';

const hostile = ['a|b', 'back\\slash', '<script>alert(1)</script>', '"quoted" & \'single\'', '`tick` **bold** [x](javascript:alert(1))'];

describe('the HTML of a Markdown report', () => {
  it('reads back every cell mdTable wrote, pipes and backslashes included', () => {
    const md = mdTable(['name', 'n'], hostile.map((h, i) => [h, i]));
    const lines = md.trimEnd().split('\n');
    expect(tableCells(lines[0])).toEqual(['name', 'n']);
    expect(lines.slice(2).map((l) => tableCells(l)[0])).toEqual(hostile.map((h) => h.trim()));
  });

  it('escapes every cell, heading and paragraph; links only to relative files', () => {
    const md = ['# Title <b>', '', 'A `code` and **bold**, [csv](x.csv), [bad](javascript:alert(1)), [up](../etc/passwd).', '', mdTable(['path'], hostile.map((h) => [h]))].join('\n');
    const html = markdownToHtml(md, []);
    expect(html).toContain('<h1 id="title-b">Title &lt;b&gt;</h1>');
    expect(html).toContain('<code>code</code> and <strong>bold</strong>, <a href="x.csv">csv</a>, [bad](javascript:alert(1)), up.');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<td class="left">`tick` **bold** [x](javascript:alert(1))</td>');
    expect(html).not.toMatch(/href="javascript/);
    expect(inlineHtml('<i>')).toBe('&lt;i&gt;');
    expect(escapeHtml(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;');
  });

  it('gives table cells the number they show for sorting: exact bytes, sizes, percentages, ratios', () => {
    expect(sortValue('1.5 KiB (1536)')).toBe(1536);
    expect(sortValue('2.0 MiB')).toBe(2 * 1024 * 1024);
    expect(sortValue('1.2 MiB (1258291) (95%: 1.0 MiB (1048576) to 1.5 MiB (1572864))')).toBe(1258291);
    expect(sortValue('42.1%')).toBe(42.1);
    expect(sortValue('1.250x')).toBe(1.25);
    expect(sortValue('17')).toBe(17);
    expect(sortValue('3.5 pp')).toBe(3.5);
    expect(sortValue('lru')).toBeNull();
    expect(sortValue('sha256:abc')).toBeNull();
  });

  it('puts a chart where its image line is, and the page needs nothing from the network', () => {
    const chart = stepCdf({ file: 'c.svg', title: 'C </script>', x: { title: 'x', kind: 'count' }, yTitle: 'y', series: [{ name: '</script><i>', points: [[1, 1]] }] })!;
    const md = ['# R', '', '## One', '', `![${chart.title}](c.svg)`, '', '![not a chart](other.svg)', ''].join('\n');
    const page = htmlReport(md, [chart], chartScripts());
    expect(page.match(/<div class="chart" data-chart="0"/g)).toHaveLength(1);
    expect(page.indexOf('data-chart="0"')).toBeGreaterThan(page.indexOf('<h2 id="one">'));
    expect(page).not.toContain('other.svg');
    const json = /<script type="application\/json" id="chart-specs">([\s\S]*?)<\/script>/.exec(page)![1];
    expect(json).not.toContain('<');
    expect(JSON.parse(json)[0].data).toEqual(chart.spec.data);
    expect(page).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    expect(page.length).toBeGreaterThan(800_000);
    expect(page.length).toBeLessThan(1_200_000);
  });
});
