// Tokens own signing keys (generated, encrypted at rest, published as JWKS) and access
// tokens (JWT claims, signing and verification).
export { createKeyStore, jwkThumbprint, ROTATION_PROPAGATION_S, type KeyStore, type KeyInfo, type AsymmetricAlg } from './keys.service.ts';
export { createTokensService, assuranceLevel, HASURA_NAMESPACE, type TokensService, type AccessClaims, type ClientClaims, type TokenSubject, type TokenOrganization, type VerifiedToken } from './tokens.service.ts';
export { tokensRoutes } from './tokens.routes.ts';
export { signJwt, signJwtAsync, verifyJwt, type JwtAlg, type JwtKey } from './jwt.ts';
export { wireTokens } from './wiring.ts';
