// Moved to core/oci/registry-token.ts so the proxy shares it; this path stays until test/unit/registry-auth.test.ts imports from there.
export { TokenCache } from '../../core/oci/registry-token.ts';
