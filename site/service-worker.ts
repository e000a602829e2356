/// <reference lib="webworker" />
// The static site's Service Worker (`npm run build` writes it as dist/sw.js): it precaches every
// file of the site — the pages, their scripts and Workers, the built-in images and the x86 guest
// kit — so after one visit the demo and the embed page work with the network off. Each build
// has its own cache, named by a hash of the site's files; a new build is fetched whole on the
// next visit, then replaces the old one (the page announces it). Requests for anything else
// (registries, the proxy) go to the network as if there were no worker.

// A module (not a script), so `self` below is this file's own declaration.
export {};

declare const self: ServiceWorkerGlobalScope;
/** Put in by the build (site/offline-plugin.ts): the site's files, relative to this script, and their hash. */
declare const __SITE_MANIFEST__: { readonly version: string; readonly files: readonly string[] };

const manifest = __SITE_MANIFEST__;
const PREFIX = 'site-';
const CACHE = `${PREFIX}${manifest.version}`;

self.addEventListener('install', (e) => {
  e.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // `reload`: past the HTTP cache, so a new build never stores an old file under its name.
      await cache.addAll(manifest.files.map((f) => new Request(new URL(f, self.location.href), { cache: 'reload' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (e) => {
  e.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

/** A page's address as the cache has it: `/demo/` and `/demo/?db=x` are `/demo/index.html`. */
function cacheKey(request: Request): string | Request {
  if (request.mode !== 'navigate') return request;
  const url = new URL(request.url);
  if (url.pathname.endsWith('/')) url.pathname += 'index.html';
  url.search = '';
  return url.href;
}

self.addEventListener('fetch', (e) => {
  if (e.request.method !== 'GET' || new URL(e.request.url).origin !== self.location.origin) return;
  e.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      const hit = await cache.match(cacheKey(e.request), { ignoreSearch: e.request.mode === 'navigate' });
      return hit ?? fetch(e.request);
    })(),
  );
});
