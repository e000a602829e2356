// A registry stand-in that answers every request with a chosen failure, and counts requests.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultRegistry {
  host: string;
  requests: () => number;
  close(): Promise<void>;
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Authorization, Accept, Range',
  'Access-Control-Expose-Headers': 'WWW-Authenticate, Retry-After, Docker-Content-Digest',
};

export async function startFaultRegistry(status: number, headers: Record<string, string> = {}): Promise<FaultRegistry> {
  let count = 0;
  const server = http.createServer((req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS);
      return res.end();
    }
    count++;
    const code = status === 401 ? 'UNAUTHORIZED' : status === 429 ? 'TOOMANYREQUESTS' : status === 404 ? 'MANIFEST_UNKNOWN' : 'UNKNOWN';
    res.writeHead(status, { ...CORS, ...headers, 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code, message: `injected ${status}` }] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests: () => count,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
