// /admin/ui/keys: GET /admin/keys in a table and POST /admin/keys/rotate behind a
// confirmation. With AUTH_JWT_SECRET there are no stored keys: the page says so.
import { $, api, confirmAction, el, when } from '../ui.js';
import { act, badge, start, table, tr } from '../admin.js';

const STATE_KIND = { active: 'ok', retired: 'warn', expired: 'bad' };

async function load() {
  const { keys, usesSecret } = await api('/admin/keys', { auth: true });
  $('#secret-mode').hidden = !usesSecret;
  $('#rotate').hidden = usesSecret;
  $('#keys').replaceChildren(table(tr('keys.list'), [tr('keys.kid'), tr('keys.algorithm'), tr('keys.state'), tr('keys.created'), tr('keys.retired'), tr('keys.publishedUntil')],
    keys.map((k) => [
      el('code', { class: 'kid' }, k.kid), k.alg, badge(tr(`keys.states.${k.status}`), STATE_KIND[k.status]),
      when(k.createdAt), k.retiredAt ? when(k.retiredAt) : '—', k.publishedUntil ? when(k.publishedUntil) : '—',
    ]), { empty: tr('keys.none') }));
}

$('#rotate').addEventListener('click', (e) => {
  if (!confirmAction(tr('keys.confirmRotate'))) return;
  act(e.currentTarget, $('#keys-status'), async () => {
    const r = await api('/admin/keys/rotate', { method: 'POST', auth: true });
    await load();
    return tr('keys.rotated', { kid: r.active.kid });
  });
});

start(load);
