// Auth owns the core token API: register, login, refresh (rotation and reuse detection),
// me, verify and logout. It composes users, sessions and tokens through their index.
export { createAuthService, type AuthService, type Authenticated } from './auth.service.ts';
export { authRoutes } from './auth.routes.ts';
export { introspectRoutes } from './introspect.routes.ts';


export { wireAuth } from './wiring.ts';
