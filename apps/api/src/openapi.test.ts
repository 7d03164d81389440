import { createLogger, packageVersion } from '@bitween/runtime';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { loadApiConfig } from './config.js';
import { fakeCore } from './testing/fake-core.js';

// The document depends on the routes and their schemas only: the app over a fake core, no NATS.
const log = createLogger('api-openapi-test', 'silent');
const version = packageVersion(import.meta.url);
let app: FastifyInstance;

beforeAll(async () => {
  app = await buildApp({
    core: fakeCore(),
    log,
    config: loadApiConfig({ BITWEEN_WEB_DIR: 'off' }),
    version,
    apiKey: 'k'.repeat(20),
  });
});

afterAll(async () => {
  await app?.close();
});

interface OpenApiDoc {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

describe('OpenAPI', () => {
  it('serves an OpenAPI 3.1 document of every /v1 route without the key', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<OpenApiDoc>();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe(version);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/contacts',
        '/v1/contacts/{jid}/shares',
        '/v1/events',
        '/v1/search',
        '/v1/settings',
        '/v1/shares',
        '/v1/status',
        '/v1/subscriptions',
        '/v1/subscriptions/{jid}/approve',
        '/v1/subscriptions/{jid}/deny',
        '/v1/torrents',
        '/v1/torrents/upload',
        '/v1/torrents/{hash}',
        '/v1/torrents/{hash}/files',
        '/v1/torrents/{hash}/files/{index}/content',
        '/v1/torrents/{hash}/files/{index}/link',
        '/v1/torrents/{hash}/limits',
        '/v1/torrents/{hash}/pause',
        '/v1/torrents/{hash}/resume',
        '/health',
        '/health/live',
        '/health/ready',
        '/api',
      ]),
    );
    expect(doc.components.schemas).toHaveProperty('Torrent');
    expect(doc.components.schemas).toHaveProperty('Problem');
    expect(doc.components.securitySchemes).toHaveProperty('apiKey');
    expect(doc.paths['/v1/torrents']?.['post']?.requestBody).toBeDefined();
    expect(doc.paths['/v1/torrents']?.['get']?.responses).toHaveProperty('503');
  });

  it('is written to reports for review', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<OpenApiDoc>();
    // Every schema the routes name is in components (no dangling $ref).
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
      (m) => m[1],
    );
    for (const ref of new Set(refs)) expect(doc.components.schemas).toHaveProperty([ref as string]);
  });

  // Committed, so a change of the public API shows in review as a diff of apps/api/openapi.json;
  // the web UI's and the CLI's types are generated from that file (their own tests check them).
  it('is the committed apps/api/openapi.json', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    await expect(
      `${JSON.stringify(res.json(), null, 2)}\n`,
      'apps/api/openapi.json differs from the code: run `npm run openapi` at the repository root, ' +
        'review the diff (a breaking change of /v1 needs /v2) and commit it',
    ).toMatchFileSnapshot('../openapi.json');
  });

  it('renders it at /docs from local assets', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).not.toMatch(/https?:\/\/(cdn|unpkg|cdnjs)/);
    const script = /src="\.\/(static\/[^"]+\.js)"/.exec(page.body)?.[1];
    expect(script).toBeDefined();
    const asset = await app.inject({ method: 'GET', url: `/docs/${script}` });
    expect(asset.statusCode).toBe(200);
  });
});
