// Builds the web client's service worker (web/src/sw.ts) into web/dist/sw.js: one classic
// script at the root, so its scope covers the whole app, without a hash in its name (the
// browser checks the same URL for updates; src/http/static.ts serves it with no-cache).
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  configFile: false,
  root,
  logLevel: 'warn',
  build: {
    outDir: 'web/dist',
    emptyOutDir: false,
    target: 'es2022',
    sourcemap: false,
    copyPublicDir: false,
    lib: {
      entry: 'web/src/sw.ts',
      formats: ['iife'],
      name: 'tertuliaServiceWorker',
      fileName: () => 'sw.js',
    },
  },
});
