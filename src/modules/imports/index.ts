// Imports from other systems (Supabase Auth, Firebase Auth, Auth0 and JSON lines): the
// sources turn an export into records, the importer writes them in batches and keeps
// the parameters of imported password hashes (Firebase's scrypt) for their verification.
export { createImporter, createFirebaseParamsLookup, firebaseParamsId, type Importer, type ImportSource, type ImportSummary, type ImportProgress, type ImportIssue } from './importer.ts';
export { ImportFormatError, type ImportRecord, type ImportIdentity } from './record.ts';
export { parseFirebase, firebaseHasPasswords, FIREBASE_B64, standardB64 } from './sources/firebase.ts';
export { parseSupabase } from './sources/supabase.ts';
export { parseJsonLines } from './sources/auth0.ts';
export { wireImports } from './wiring.ts';
