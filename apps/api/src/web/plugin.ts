import { access } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

/**
 * The web UI's Content-Security-Policy: everything from this origin, nothing inline, no
 * framing. The UI is a static bundle (no inline script or style) talking only to this api.
 */
export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The UI's own paths (History API routing): each answers with index.html. Only these, so an
 * unknown URL stays a 404 that needs the key like any other, and no API path is shadowed.
 */
export const WEB_VIEWS = ['/torrents', '/shares', '/share', '/contacts', '/settings'];

export interface WebOptions {
  /** The built UI (`apps/web/dist`): index.html and assets/. */
  dir: string;
}

/** True when `dir` holds a built UI. */
export async function hasWebBuild(dir: string): Promise<boolean> {
  try {
    await access(join(dir, 'index.html'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Serves the web UI at `/`. Its files need no API key (the UI logs in with the key and sends it
 * on every API call); every route registered here is marked public, nothing else is.
 */
export const webUi: FastifyPluginAsync<WebOptions> = async (app, { dir }) => {
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, public: true };
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', WEB_CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
  });
  await app.register(fastifyStatic, {
    root: dir,
    // One route per file found at start (no catch-all): unknown paths stay the api's 404.
    wildcard: false,
    index: 'index.html',
    // Bundled assets carry a content hash in their names; index.html must always be revalidated.
    setHeaders: (reply, path) => {
      reply.header(
        'cache-control',
        path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
    cacheControl: false,
  });
  for (const view of WEB_VIEWS) {
    app.get(view, { schema: { hide: true } }, (_request, reply) =>
      reply.header('cache-control', 'no-cache').sendFile('index.html'),
    );
  }
};
