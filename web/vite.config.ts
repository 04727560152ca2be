// Builds the dashboard into dist/web/ so it ships inside the npm package and the core
// serves it as plain files: no CDN, nothing built at run time.
import { defineConfig, type Plugin } from 'vite';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes .br and .gz next to each text asset, so the core (@fastify/static preCompressed)
 * sends a third of the bytes to a browser on another machine without compressing per request. */
function precompress(): Plugin {
  return {
    name: 'osmo-precompress',
    apply: 'build',
    // after the files are written: the bytes on disk are the ones served
    writeBundle(opts, bundle) {
      const dir = opts.dir ?? '';
      for (const file of Object.keys(bundle)) {
        if (!/\.(js|css|html|svg)$/.test(file)) continue;
        const src = readFileSync(join(dir, file));
        if (src.length < 1024) continue;
        writeFileSync(join(dir, `${file}.br`), brotliCompressSync(src, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
        writeFileSync(join(dir, `${file}.gz`), gzipSync(src, { level: 9 }));
      }
    },
  };
}

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  plugins: [precompress()],
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
