// Sign-in owns the flow from a first factor to a session: the gate (the one function that
// issues sessions and decides, in named steps, what a session still needs: an active
// account, a verified address, a second factor or its enrollment, a password change), the
// password as a first factor, the account's failure count across factors, the bot check,
// and the rule that settles who owns an address when it is first proven.
export { createSignInGate, isMultiFactor, firstFactorOf, type SignInGate, type Proof, type FirstFactor, type SignedIn, type GateContext, type SignInOrganizations } from './gate.ts';
export { createPasswordSignIn, type PasswordSignIn, type LoginInput } from './password.ts';
export { createAccountFailures } from './account-failures.ts';
export { createCaptcha, type Captcha } from './captcha.ts';
export { createAddressClaim, type AddressClaim, type AddressProof } from './address-claim.ts';
export { wireSignIn } from './wiring.ts';
