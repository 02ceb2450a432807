// /admin/ui: key figures and charts from GET /admin/stats?days=N.
import { $, api, el, locale, pageData } from '../ui.js';
import { barChart, donut, hbarChart } from '../chart.js';
import { fmt, label, plural, start, tr } from '../admin.js';

const days = Number(pageData.days) || 14;
const dayShort = new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const dayLong = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
const asDate = (iso) => new Date(`${iso}T00:00:00Z`);
const short = (iso) => dayShort.format(asDate(iso));
const long = (iso) => dayLong.format(asDate(iso));
const percent = (share) => fmt(share, { style: 'percent', maximumFractionDigits: 1 });

function fill(id, text) {
  $(`#${id}`).textContent = text;
}

/** The day with the highest total, or null when every day is zero. */
function busiest(daily, total) {
  let best = null;
  for (const d of daily) if (total(d) > 0 && (!best || total(d) > total(best))) best = d;
  return best;
}

function figures(s) {
  fill('window', tr('overview.window', { from: long(s.from), to: long(s.to) }));
  fill('m-sessions', fmt(s.sessions.active));
  fill('m-sessions-note', plural('overview.sessionsUsers', s.sessions.users));
  fill('m-users', fmt(s.users.total));
  fill('m-users-note', tr('overview.usersNote', { added: fmt(s.newUsers.total), disabled: fmt(s.users.disabled) }));
  fill('m-sign-ins', fmt(s.signIns.succeeded));
  fill('m-sign-ins-note', plural('overview.inDays', s.days));
  fill('m-failures', fmt(s.signIns.failed));
  const attempts = s.signIns.succeeded + s.signIns.failed;
  fill('m-failures-note', attempts ? tr('overview.failureRate', { rate: percent(s.signIns.failed / attempts) }) : tr('overview.noAttempts'));
  fill('m-mfa', percent(s.mfa.share));
  fill('m-mfa-note', tr('overview.ofUsers', { count: fmt(s.mfa.enrolled), total: fmt(s.mfa.users) }));
}

function signInsChart(s) {
  const top = busiest(s.signIns.daily, (d) => d.succeeded + d.failed);
  const summary = [
    tr('overview.signInsSummary', { days: fmt(s.days), succeeded: fmt(s.signIns.succeeded), failed: fmt(s.signIns.failed) }),
    top ? tr('overview.busiest', { day: long(top.date), count: fmt(top.succeeded + top.failed) }) : '',
  ].join(' ').trim();
  return barChart({
    title: tr('overview.signInsChart'), summary, stacked: true, format: fmt,
    labels: s.signIns.daily.map((d) => d.date), tickLabel: short, tooltip: long, rowLabel: long,
    series: [
      { name: tr('overview.succeeded'), values: s.signIns.daily.map((d) => d.succeeded) },
      { name: tr('overview.failed'), values: s.signIns.daily.map((d) => d.failed), className: 'fail' },
    ],
    showData: tr('common.showData'), columns: [tr('overview.day'), tr('overview.succeeded'), tr('overview.failed')],
  });
}

function newUsersChart(s) {
  const top = busiest(s.newUsers.daily, (d) => d.count);
  const summary = [
    plural('overview.newUsersSummary', s.newUsers.total),
    top ? tr('overview.busiest', { day: long(top.date), count: fmt(top.count) }) : '',
  ].join(' ').trim();
  return barChart({
    title: tr('overview.newUsersChart'), summary, format: fmt,
    labels: s.newUsers.daily.map((d) => d.date), tickLabel: short, tooltip: long, rowLabel: long,
    series: [{ name: tr('overview.newUsers'), values: s.newUsers.daily.map((d) => d.count), className: 'alt' }],
    showData: tr('common.showData'), columns: [tr('overview.day'), tr('overview.newUsers')],
  });
}

function mfaCharts(s) {
  const methods = s.mfa.methods.map((m) => ({ label: label('method', m.method), value: m.users }));
  const chart = donut({
    title: tr('overview.mfaChart'),
    summary: tr('overview.mfaSummary', { percent: percent(s.mfa.share), count: fmt(s.mfa.enrolled), total: fmt(s.mfa.users) }),
    value: s.mfa.enrolled, total: s.mfa.users, percent: percent(s.mfa.share),
    caption: tr('overview.ofUsers', { count: fmt(s.mfa.enrolled), total: fmt(s.mfa.users) }),
    showData: tr('common.showData'), columns: [tr('overview.measure'), tr('overview.usersColumn')],
    rows: [
      [tr('overview.withMfa'), fmt(s.mfa.enrolled)],
      [tr('overview.withoutMfa'), fmt(s.mfa.users - s.mfa.enrolled)],
    ],
  });
  const byMethod = hbarChart({
    title: tr('overview.methodsChart'),
    summary: methods.map((m) => `${m.label}: ${fmt(m.value)}`).join(', '),
    items: methods, format: fmt, showData: tr('common.showData'), columns: [tr('overview.method'), tr('overview.usersColumn')],
  });
  return [chart, el('h3', {}, tr('overview.methodsChart')), byMethod];
}

function reasonsChart(s) {
  const items = s.signIns.failureReasons.map((r) => ({ label: label('reason', r.reason), value: r.count }));
  if (!items.length) return el('p', { class: 'muted' }, tr('overview.noFailures'));
  return hbarChart({
    title: tr('overview.reasonsChart'), className: 'fail',
    summary: items.map((i) => `${i.label}: ${fmt(i.value)}`).join(', '),
    items, format: fmt, showData: tr('common.showData'), columns: [tr('overview.reason'), tr('overview.failures')],
  });
}

start(async () => {
  const s = await api(`/admin/stats?days=${encodeURIComponent(days)}`, { auth: true });
  figures(s);
  $('#chart-sign-ins').replaceChildren(signInsChart(s));
  $('#chart-new-users').replaceChildren(newUsersChart(s));
  const [mfa, heading, methods] = mfaCharts(s);
  $('#chart-mfa').replaceChildren(mfa);
  $('#chart-mfa-methods').replaceChildren(heading, methods);
  $('#chart-reasons').replaceChildren(reasonsChart(s));
});
