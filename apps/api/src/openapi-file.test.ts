import { createLogger, packageVersion } from '@bitween/runtime';
import { expect, it } from 'vitest';
import { buildApp } from './app.js';
import { loadApiConfig } from './config.js';
import { fakeCore } from './testing/fake-core.js';

/*
 * The OpenAPI document is committed (apps/api/openapi.json): a change of the public API shows in
 * review as a diff of that file, and the web UI's and the CLI's types are generated from it. This
 * test fails when the document the code serves at /openapi.json differs from the committed file;
 * `npm run openapi` (repository root) writes it again, and the generated client types with it.
 */

it('the document served at /openapi.json is the committed apps/api/openapi.json', async () => {
  const app = await buildApp({
    core: fakeCore(),
    log: createLogger('api-openapi-file-test', 'silent'),
    config: loadApiConfig({ BITWEEN_WEB_DIR: 'off' }),
    version: packageVersion(import.meta.url),
    apiKey: 'k'.repeat(20),
  });
  try {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    await expect(
      `${JSON.stringify(res.json(), null, 2)}\n`,
      'apps/api/openapi.json differs from the code: run `npm run openapi` at the repository root, ' +
        'review the diff (a breaking change of /v1 needs /v2) and commit it',
    ).toMatchFileSnapshot('../openapi.json');
  } finally {
    await app.close();
  }
});
