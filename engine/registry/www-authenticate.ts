// Moved to core/oci/ so the proxy shares it; this path stays until test/unit/registry-auth.test.ts imports from there.
export { parseWwwAuthenticate } from '../../core/oci/www-authenticate.ts';
