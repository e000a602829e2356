import { InvalidReferenceError } from '../errors.ts';
import { type Digest, isDigest } from './digest.ts';

/** A fully normalised image reference, as Docker resolves it. */
export interface Reference {
  /** Registry host, with port if any: `docker.io`, `ghcr.io`, `127.0.0.1:5000`. */
  readonly registry: string;
  /** Repository path within the registry: `library/alpine`. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

export const DOCKER_HUB = 'docker.io';
const DEFAULT_TAG = 'latest';

// distribution/reference grammar; the proxy checks the names in its URLs by the same rules.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$|^\[[a-fA-F0-9:]+\](?::[0-9]+)?$/;
const MAX_NAME = 255;

/** A tag: up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`. */
export function isTag(s: string): boolean {
  return TAG.test(s);
}

/** A repository path (`library/alpine`): lowercase components joined by `/`, none empty. */
export function isRepositoryPath(path: string): boolean {
  return path.split('/').every((c) => COMPONENT.test(c));
}

/** Whether `registry/repository` is longer than the 255 characters a name may have. */
export function isNameTooLong(registry: string, repository: string): boolean {
  return registry.length + 1 + repository.length > MAX_NAME;
}

/**
 * Parses and normalises a reference the way `docker pull` does:
 * `alpine` → `docker.io/library/alpine:latest`; `host:port/ns/name:tag@sha256:…` kept as given.
 * A reference with only a digest gets no tag.
 */
export function parseReference(input: string): Reference {
  const s = input.trim();
  if (s === '') throw new InvalidReferenceError('invalid reference format: empty reference');

  let rest = s;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) throw new InvalidReferenceError(`invalid reference format: invalid digest in "${input}"`);
    digest = d;
    rest = rest.slice(0, at);
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isTag(tag)) throw new InvalidReferenceError(`invalid reference format: invalid tag "${tag}" in "${input}"`);
  }

  let registry = DOCKER_HUB;
  let path = rest;
  const firstSlash = rest.indexOf('/');
  if (firstSlash >= 0) {
    const first = rest.slice(0, firstSlash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      if (!DOMAIN.test(first)) throw new InvalidReferenceError(`invalid reference format: invalid registry "${first}"`);
      registry = first === 'index.docker.io' ? DOCKER_HUB : first;
      path = rest.slice(firstSlash + 1);
    }
  }
  if (path === '') throw new InvalidReferenceError(`invalid reference format: missing repository in "${input}"`);
  if (path !== path.toLowerCase()) {
    throw new InvalidReferenceError(`invalid reference format: repository name (${path}) must be lowercase`);
  }
  if (!isRepositoryPath(path)) throw new InvalidReferenceError(`invalid reference format: "${input}"`);
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  if (isNameTooLong(registry, path)) {
    throw new InvalidReferenceError(`invalid reference format: repository name must not be more than ${MAX_NAME} characters`);
  }
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return { registry, repository: path, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** `docker.io/library/alpine` */
export function repoName(r: Reference): string {
  return `${r.registry}/${r.repository}`;
}

/** Canonical form: `docker.io/library/alpine:latest@sha256:…` */
export function formatReference(r: Reference): string {
  return repoName(r) + (r.tag !== undefined ? `:${r.tag}` : '') + (r.digest ? `@${r.digest}` : '');
}

/** Docker's short "familiar" form: `alpine`, `user/app`, `ghcr.io/x/y` (no tag or digest). */
export function familiarName(r: Reference): string {
  if (r.registry !== DOCKER_HUB) return repoName(r);
  // Only an official image loses `library/`: `library/a/b` is not `a/b` (as distribution's familiarizeName).
  const rest = r.repository.slice('library/'.length);
  return r.repository.startsWith('library/') && !rest.includes('/') ? rest : r.repository;
}

/** `alpine:latest`, `ghcr.io/x/y:1` — how `docker images` and messages name a tagged image. */
export function familiarTagged(r: Reference): string {
  return familiarName(r) + (r.tag !== undefined ? `:${r.tag}` : '') + (r.tag === undefined && r.digest ? `@${r.digest}` : '');
}

/** The registry host part that needs plain http: Docker treats localhost and 127.0.0.0/8 as insecure by default. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1';
}
