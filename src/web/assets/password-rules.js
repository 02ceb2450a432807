// New-password fields: the active rules (GET /auth/password-policy) listed in the hint
// beside the field, and a refusal that broke several rules explained rule by rule. The
// page's messages must include the `passwordRules.` prefix.
import { ApiError, api, el, errorMessage, say, t } from './ui.js';

/** Fills `hint` with the rules of the policy; left hidden when the policy cannot be read (the API still names a broken rule). */
export async function showPasswordRules(hint) {
  if (!hint) return;
  let p;
  try { p = await api('/auth/password-policy'); } catch { return; }
  const rules = [t('passwordRules.length', { min: p.minLength, max: p.maxLength })];
  if (p.requireUppercase) rules.push(t('passwordRules.uppercase'));
  if (p.requireLowercase) rules.push(t('passwordRules.lowercase'));
  if (p.requireNumbers) rules.push(t('passwordRules.number'));
  if (p.requireSymbols) rules.push(t('passwordRules.symbol'));
  if (p.preventCommon) rules.push(t('passwordRules.common'));
  if (p.preventUserInfo) rules.push(t('passwordRules.userInfo'));
  if (p.historyCount > 0) rules.push(t('passwordRules.history', { count: p.historyCount }));
  if (p.breachCheck) rules.push(t('passwordRules.breach'));
  hint.replaceChildren(el('span', {}, t('passwordRules.intro')), el('ul', {}, rules.map((r) => el('li', {}, r))));
  hint.hidden = false;
}

/**
 * Shows in `region` every rule a refused password broke (the API lists them in `details`).
 * Returns false, showing nothing, when `err` is not such a refusal.
 */
export function showRefusal(err, region) {
  if (!(err instanceof ApiError) || !err.code.startsWith('password_')) return false;
  const rules = Array.isArray(err.data.details) ? err.data.details.map((d) => d?.rule).filter((r) => typeof r === 'string') : [];
  if (rules.length < 2) return false;
  say(region, errorMessage(rules[0]), 'error');
  region.replaceChildren(el('span', {}, t('passwordRules.refused')), el('ul', {}, rules.map((r) => el('li', {}, errorMessage(r)))));
  return true;
}
