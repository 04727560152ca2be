// Builds the dashboard into dist/web/ so it ships inside the npm package and the core
// serves it as plain files: no CDN, nothing built at run time.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // The dashboard is served from the machine it runs on; one module per view would
    // only add round trips, so keep the default single chunk and a modest budget.
    chunkSizeWarningLimit: 300,
    sourcemap: false,
  },
  server: {
    // `npx vite -c web/vite.config.ts` during development proxies the API to a local core.
    proxy: { '/api': 'http://127.0.0.1:7700', '/openapi.json': 'http://127.0.0.1:7700' },
  },
});
