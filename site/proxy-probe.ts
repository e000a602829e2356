// Whether the page's own origin runs the registry proxy (the dev server, `npm start`, or the
// standalone proxy in front of the site): its `/v2/` answers a ping with JSON. A static host
// has none, so its pages talk to registries directly (those that allow CORS) or not at all.
export async function hasSameOriginProxy(): Promise<boolean> {
  try {
    const res = await fetch(new URL('/v2/', location.href), { headers: { accept: 'application/json' } });
    return res.ok && (res.headers.get('content-type') ?? '').includes('application/json');
  } catch {
    return false;
  }
}
