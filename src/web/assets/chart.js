// Small SVG charts for the dashboard, written by hand (no library): bars per day (single,
// stacked), horizontal bars with counts, and a donut with its percentage. Each chart is
// an <svg role="img"> named by its <title> and described by its <desc> (the summary), followed by its
// figures as a table in a <details> element, for screen readers and for anyone who would
// rather read numbers. The SVG is drawn at the width of its container (redrawn when that
// changes), so that its text keeps its size on a phone.

const NS = 'http://www.w3.org/2000/svg';
let seq = 0;
const uid = (prefix) => `${prefix}-${++seq}`;

/** An SVG element; text children become text nodes. */
function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null && v !== false) node.setAttribute(k, String(v));
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function html(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null && v !== false) node.setAttribute(k, String(v));
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** The smallest of 1, 2, 5 × 10^n at or above `v` (at least 1). */
export function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** The <svg role="img"> frame with its title and description. */
function frame(width, height, title, summary) {
  const titleId = uid('chart-title');
  const descId = uid('chart-desc');
  return svg('svg', {
    class: 'chart', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-labelledby': titleId, 'aria-describedby': descId, focusable: 'false',
  }, svg('title', { id: titleId }, title), svg('desc', { id: descId }, summary));
}

/** The figures of a chart as a table, in a <details> element. */
function dataTable(o) {
  return html('details', { class: 'chart-data' },
    html('summary', {}, o.showData),
    html('div', { class: 'table-wrap' },
      html('table', {},
        html('caption', { class: 'visually-hidden' }, o.title),
        html('thead', {}, html('tr', {}, o.columns.map((c) => html('th', { scope: 'col' }, c)))),
        html('tbody', {}, o.rows.map((r) => html('tr', {}, r.map((cell, i) => (i === 0 ? html('th', { scope: 'row' }, cell) : html('td', {}, cell)))))))));
}

function legend(series) {
  return html('ul', { class: 'legend' }, series.map((s) => html('li', {}, html('span', { class: `swatch ${s.className ?? ''}`.trim(), 'aria-hidden': 'true' }), s.name)));
}

/**
 * Draws `draw(width)` into a holder, again whenever the holder's width changes (a hidden
 * holder measures 0: the first drawing uses `fallback`, the next the real width).
 */
function responsive(draw, fallback = 640) {
  const holder = html('div', { class: 'chart-holder' });
  let drawn = 0;
  const render = () => {
    const width = Math.max(260, Math.round(holder.clientWidth || fallback));
    if (Math.abs(width - drawn) < 4) return;
    drawn = width;
    holder.replaceChildren(draw(width));
  };
  render();
  if ('ResizeObserver' in window) new ResizeObserver(render).observe(holder);
  return holder;
}

/**
 * Vertical bars per category (days), one or several series, stacked or side by side.
 *
 *   barChart({ title, summary, labels: ['2026-11-01', ...], tickLabel: (l) => 'Nov 1',
 *     series: [{ name: 'Succeeded', values: [...], className: '' }, { name: 'Failed', values, className: 'fail' }],
 *     stacked: true, format: (n) => String(n), showData: 'Show the figures', columns: ['Day', 'Succeeded', 'Failed'] })
 */
export function barChart(o) {
  const height = o.height ?? 220;
  const format = o.format ?? String;
  const n = o.labels.length;
  const totals = o.labels.map((_, i) => (o.stacked ? o.series.reduce((s, x) => s + x.values[i], 0) : Math.max(...o.series.map((x) => x.values[i]))));
  const max = niceMax(Math.max(0, ...totals));
  const draw = (width) => {
    const m = { top: 12, right: 8, bottom: 26, left: 8 + 8 * String(format(max)).length };
    const plotW = width - m.left - m.right;
    const plotH = height - m.top - m.bottom;
    const y = (v) => m.top + plotH - (v / max) * plotH;
    const band = plotW / n;
    const root = frame(width, height, o.title, o.summary);
    // Grid lines and their values: 0, the middle when it is a whole number, the top.
    const ticks = [0, max / 2, max].filter((v) => Number.isInteger(v));
    for (const v of ticks) {
      root.append(svg('line', { class: 'grid', x1: m.left, x2: width - m.right, y1: y(v), y2: y(v) }));
      root.append(svg('text', { x: m.left - 4, y: y(v) + 4, 'text-anchor': 'end' }, format(v)));
    }
    const bars = svg('g', { class: 'bars' });
    o.labels.forEach((labelText, i) => {
      const x0 = m.left + i * band;
      if (o.stacked) {
        const w = Math.max(1, band * 0.7);
        let base = 0;
        o.series.forEach((s) => {
          const v = s.values[i];
          if (v > 0) {
            bars.append(svg('rect', { class: `bar ${s.className ?? ''}`.trim(), x: x0 + (band - w) / 2, y: y(base + v), width: w, height: Math.max(1, y(base) - y(base + v)) },
              svg('title', {}, `${o.tooltip ? o.tooltip(labelText) : labelText} · ${s.name}: ${format(v)}`)));
          }
          base += v;
        });
      } else {
        const w = Math.max(1, (band * 0.8) / o.series.length);
        o.series.forEach((s, k) => {
          const v = s.values[i];
          if (v > 0) {
            bars.append(svg('rect', { class: `bar ${s.className ?? ''}`.trim(), x: x0 + band * 0.1 + k * w, y: y(v), width: Math.max(1, w - 1), height: Math.max(1, y(0) - y(v)) },
              svg('title', {}, `${o.tooltip ? o.tooltip(labelText) : labelText} · ${s.name}: ${format(v)}`)));
          }
        });
      }
    });
    root.append(bars);
    root.append(svg('line', { class: 'axis', x1: m.left, x2: width - m.right, y1: y(0), y2: y(0) }));
    // As many category labels as fit, evenly spaced, the last one always.
    const fit = Math.max(2, Math.floor(plotW / 64));
    const step = Math.ceil(n / fit);
    o.labels.forEach((labelText, i) => {
      if ((n - 1 - i) % step !== 0) return;
      root.append(svg('text', { x: m.left + (i + 0.5) * band, y: height - 8, 'text-anchor': 'middle' }, o.tickLabel ? o.tickLabel(labelText) : labelText));
    });
    return root;
  };
  return html('figure', { class: 'chart-figure' },
    responsive(draw),
    o.series.length > 1 ? legend(o.series) : null,
    dataTable({ title: o.title, showData: o.showData, columns: o.columns, rows: o.labels.map((l, i) => [o.rowLabel ? o.rowLabel(l) : l, ...o.series.map((s) => format(s.values[i]))]) }));
}

/**
 * Horizontal bars with their counts, one row per item (label above its bar, so that long
 * labels fit on a phone).
 *
 *   hbarChart({ title, summary, items: [{ label: 'Wrong password', value: 12 }], format, showData, columns: ['Reason', 'Failures'] })
 */
export function hbarChart(o) {
  const format = o.format ?? String;
  const row = 40;
  const height = Math.max(1, o.items.length) * row + 4;
  const max = Math.max(1, ...o.items.map((i) => i.value));
  const draw = (width) => {
    const root = frame(width, height, o.title, o.summary);
    o.items.forEach((item, i) => {
      const top = i * row;
      root.append(svg('text', { class: 'label', x: 0, y: top + 14 }, item.label));
      root.append(svg('text', { class: 'value', x: width, y: top + 14, 'text-anchor': 'end' }, format(item.value)));
      root.append(svg('rect', { class: 'track', x: 0, y: top + 20, width, height: 12, rx: 3 }));
      if (item.value > 0) {
        root.append(svg('rect', { class: `bar ${o.className ?? ''}`.trim(), x: 0, y: top + 20, width: Math.max(2, (item.value / max) * width), height: 12, rx: 3 },
          svg('title', {}, `${item.label}: ${format(item.value)}`)));
      }
    });
    return root;
  };
  return html('figure', { class: 'chart-figure' },
    responsive(draw, 420),
    dataTable({ title: o.title, showData: o.showData, columns: o.columns, rows: o.items.map((i) => [i.label, format(i.value)]) }));
}

/**
 * A donut showing a share, with the percentage written in its middle.
 *
 *   donut({ title, summary, value: 3, total: 10, percent: '30 %', caption: '3 of 10 users', showData, columns, rows })
 * The caption is written beside the donut, in HTML.
 */
export function donut(o) {
  const size = 180;
  const r = 66;
  const c = 2 * Math.PI * r;
  const share = o.total > 0 ? Math.min(1, o.value / o.total) : 0;
  const root = frame(size, size, o.title, o.summary);
  root.classList.add('donut');
  root.append(svg('circle', { class: 'track', cx: size / 2, cy: size / 2, r, fill: 'none', 'stroke-width': 22 }));
  if (share > 0) {
    root.append(svg('circle', {
      class: 'arc', cx: size / 2, cy: size / 2, r, fill: 'none', 'stroke-width': 22,
      'stroke-dasharray': `${(share * c).toFixed(2)} ${c.toFixed(2)}`, transform: `rotate(-90 ${size / 2} ${size / 2})`,
    }));
  }
  root.append(svg('text', { class: 'big', x: size / 2, y: size / 2 + 9, 'text-anchor': 'middle' }, o.percent));
  return html('figure', { class: 'chart-figure donut-figure' },
    html('div', { class: 'donut-holder' }, root, html('p', { class: 'donut-caption' }, o.caption)),
    dataTable({ title: o.title, showData: o.showData, columns: o.columns, rows: o.rows }));
}
