import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import auth from '../auth/plugin.js';
import { FailureLimiter } from '../auth/failure-limiter.js';
import { apiKeyVerifier } from '../auth/api-key.js';
import { WEB_CSP, WEB_VIEWS, hasWebBuild, webUi } from './plugin.js';

/*
 * The web UI's files are served without the key (the page logs in with it), with a strict CSP;
 * everything else keeps needing the key, and only the UI's own view paths fall back to index.html.
 */

const KEY = 'web-test-key-0123456789';
let dir = '';
let app: FastifyInstance;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bitween-web-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(
    join(dir, 'index.html'),
    '<!doctype html><title>bitween</title><script type="module" src="/assets/app-abc.js"></script>',
  );
  await writeFile(join(dir, 'assets', 'app-abc.js'), 'console.log(1)');
  app = Fastify();
  await app.register(auth, {
    verifyApiKey: apiKeyVerifier(KEY),
    limiter: new FailureLimiter({ max: 100, windowMs: 60_000 }),
  });
  app.get('/v1/torrents', () => ({ torrents: [] }));
  await app.register(webUi, { dir });
});

afterAll(async () => {
  await app?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('web UI serving', () => {
  it('finds a build only where index.html is', async () => {
    expect(await hasWebBuild(dir)).toBe(true);
    expect(await hasWebBuild(join(dir, 'assets'))).toBe(false);
  });

  it('serves / and the assets without a key, with a strict CSP', async () => {
    const index = await app.inject({ url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/text\/html/);
    expect(index.headers['content-security-policy']).toBe(WEB_CSP);
    expect(WEB_CSP).toContain("script-src 'self'");
    expect(WEB_CSP).not.toContain('unsafe-inline');
    expect(index.headers['cache-control']).toBe('no-cache');
    const asset = await app.inject({ url: '/assets/app-abc.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toMatch(/immutable/);
  });

  it('answers the UI view paths with index.html (History API routing)', async () => {
    for (const view of WEB_VIEWS) {
      const res = await app.inject({ url: view });
      expect(res.statusCode, view).toBe(200);
      expect(res.body).toContain('<title>bitween</title>');
    }
  });

  it('keeps the API and unknown paths behind the key: no catch-all fallback', async () => {
    expect((await app.inject({ url: '/v1/torrents' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/v1/torrents', headers: { 'x-api-key': KEY } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/shares/x' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/assets/missing.js' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/assets/missing.js', headers: { 'x-api-key': KEY } })).statusCode).toBe(
      404,
    );
    expect((await app.inject({ url: '/../package.json' })).statusCode).not.toBe(200);
  });
});
