// The static site `npm run build` writes to dist/: its pages, and a front page that links them
// (a static host serves dist/index.html at the site's root).
import path from 'node:path';
import type { Plugin } from 'vite';

/** The site's HTML entries, by name, relative to the repository root the build runs in. */
export function sitePages(root: string): Record<string, string> {
  return { demo: path.join(root, 'demo', 'index.html'), node: path.join(root, 'demo', 'node.html'), embed: path.join(root, 'examples', 'embed.html') };
}

const FRONT_PAGE = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>Container engine of the browser</title><link rel="icon" href="data:," /></head>
  <body>
    <h1>Container engine of the browser</h1>
    <ul>
      <li><a href="demo/">The demo</a>: a docker CLI in a terminal</li>
      <li><a href="examples/embed.html">Sandboxes in a page</a>: &lt;container-sandbox&gt;</li>
    </ul>
  </body>
</html>
`;

export function frontPage(): Plugin {
  return {
    name: 'site-front-page',
    apply: 'build',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'index.html', source: FRONT_PAGE });
    },
  };
}
