// The names RBAC knows before any is created: the two built-in admin roles, the shapes
// allowed for new role and permission names, and what a held permission allows.

export const SUPER_ADMIN = 'super_admin';
export const ADMIN = 'admin';
export const ROLE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,62}$/;
export const PERMISSION_NAME = /^[a-z][a-z0-9_.-]{0,62}:([a-z][a-z0-9_.-]{0,62}|\*)$/;

/** True when a permission set allows `p`: itself, `resource:*`, or `*`. */
export function allows(held: ReadonlySet<string>, p: string): boolean {
  if (held.has('*') || held.has(p)) return true;
  const colon = p.indexOf(':');
  return colon > 0 && held.has(`${p.slice(0, colon)}:*`);
}
