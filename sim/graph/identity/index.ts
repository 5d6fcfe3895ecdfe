export { IdentityPlatform, aadError, sameCloudGroup, REFRESH_INACTIVITY_MS } from './platform.js';
export type { Caller, CloudEndpoint, IdpResponse } from './platform.js';
export { Directory, ADMIN_ONLY_DELEGATED } from './directory.js';
export type { AppRegistration, AppRegistrationInput, Consent } from './directory.js';
