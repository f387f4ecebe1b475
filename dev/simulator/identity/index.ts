// The simulated Microsoft identity platform (v2.0 endpoints under /{tenant}/), registered as one module.
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols
import type { SimModule } from '../server.js';
import { registerAdminConsent } from './admin-consent.js';
import { registerAuthorize } from './authorize.js';
import { registerDiscovery } from './discovery.js';
import { identityStore } from './store.js';
import { registerTokenEndpoint } from './token-endpoint.js';
import { registerManagedIdentityEndpoint } from './managed-identity.js';
import { createSimIdentity } from './tokens.js';

export const identityModule: SimModule = (router, state, sim) => {
  identityStore(state);
  state.identity = createSimIdentity(state);
  registerDiscovery(router, state, sim);
  registerAuthorize(router, state);
  registerTokenEndpoint(router, state, sim);
  registerAdminConsent(router, state);
  registerManagedIdentityEndpoint(router, state);
};
