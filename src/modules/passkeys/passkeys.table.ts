import type { Selectable } from 'kysely';

export interface PasskeysTable {
  /** The credential id (base64url). */
  id: string;
  user_id: string;
  name: string;
  /** COSE public key. */
  public_key: Buffer;
  /** The authenticator's signature counter as last seen (0 when it keeps none). */
  counter: string;
  transports: string[];
  device_type: string | null;
  backed_up: boolean;
  aaguid: string | null;
  created_at: Date;
  last_used_at: Date | null;
}

export interface PasskeyChallengesTable {
  challenge: string;
  /** `register`, `login`, or `factor` (the second step of a sign-in). */
  purpose: string;
  user_id: string | null;
  mfa_challenge_id: string | null;
  created_at: Date;
  expires_at: Date;
  consumed_at: Date | null;
}

export type PasskeyRow = Selectable<PasskeysTable>;
export type PasskeyChallengeRow = Selectable<PasskeyChallengesTable>;
