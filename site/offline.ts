// Makes a page of the static site work offline after one visit: registers the site's Service
// Worker (site/service-worker.ts) and says in the page when the site was saved for offline use
// and when a new version was installed. Only in a build: the dev server has no sw.js.
const SERVICE_WORKER_URL = `${import.meta.env.BASE_URL}sw.js`;

export function keepOffline(announce: (message: string) => void): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  const sw = navigator.serviceWorker;
  // A page the worker already controlled is told of a new version; a first visit, that it is kept.
  const updating = sw.controller !== null;
  sw.addEventListener('controllerchange', () =>
    announce(updating ? 'A new version of this site was installed: reload the page to use it.' : 'This site is saved for offline use.'),
  );
  sw.register(SERVICE_WORKER_URL, { scope: import.meta.env.BASE_URL }).catch((e: unknown) =>
    announce(`This site cannot be kept for offline use: ${e instanceof Error ? e.message : String(e)}`),
  );
}
