import type { ComposeService } from './model/compose-model.ts';

/**
 * The labels Docker Compose puts on what it creates. A project's state is these labels on engine
 * objects, so it survives reloads, `docker ps` shows it, and a real Compose would recognise it.
 */
export const LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  configHash: 'com.docker.compose.config-hash',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  dependsOn: 'com.docker.compose.depends_on',
  image: 'com.docker.compose.image',
  version: 'com.docker.compose.version',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
} as const;

/** The Compose version these labels and outputs follow. */
export const COMPOSE_VERSION = '2.40.3';

/** Keys sorted at every level, so equal services hash equally whatever order the file had. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/**
 * What decides whether a running container is up to date: the service's model without its
 * replica count (scaling does not recreate), as Compose's `ServiceHash`.
 */
export async function configHash(s: ComposeService): Promise<string> {
  const { scale: _scale, deploy, ...rest } = s;
  const { replicas: _replicas, ...deployRest } = deploy ?? {};
  const text = JSON.stringify(canonical({ ...rest, ...(deploy ? { deploy: deployRest } : {}) }));
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
