import { defineConfig } from 'vite';

/**
 * A static build (dist/: index.html + hashed assets) that the api serves at `/`. No inline
 * scripts or styles (the api's Content-Security-Policy forbids them), nothing from a CDN.
 * `npm run dev` proxies the api (BITWEEN_API_URL, default http://127.0.0.1:5000).
 */
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: Object.fromEntries(
      ['/v1', '/health'].map((p) => [p, process.env['BITWEEN_API_URL'] ?? 'http://127.0.0.1:5000']),
    ),
  },
});
