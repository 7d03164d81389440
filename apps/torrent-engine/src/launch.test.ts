import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readLaunch } from '@bitween/runtime';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// launch.json is read by scripts/start.mjs, the test harness and the benchmarks; these two places
// cannot read it and repeat it instead.
const appDir = fileURLToPath(new URL('..', import.meta.url));
const repo = new URL('../../../', import.meta.url);
const launch = readLaunch(appDir);

interface Service {
  command?: string[];
  environment?: Record<string, unknown>;
}

describe("the engine's launch settings (launch.json)", () => {
  it('are set', () => {
    expect(launch.nodeArgs.length + Object.keys(launch.env).length).toBeGreaterThan(0);
  });

  it('are those of every engine service in docker-compose.yml', () => {
    const compose = parse(readFileSync(new URL('docker-compose.yml', repo), 'utf8'), { merge: true }) as {
      services: Record<string, Service>;
    };
    const engines = Object.entries(compose.services).filter(([, s]) =>
      s.command?.includes('apps/torrent-engine/dist/main.js'),
    );
    expect(engines.map(([name]) => name).sort()).toEqual(['demo-torrent-engine', 'torrent-engine']);
    for (const [name, service] of engines) {
      expect(service.command, name).toEqual(['node', ...launch.nodeArgs, 'apps/torrent-engine/dist/main.js']);
      expect(service.environment, name).toMatchObject(launch.env);
    }
  });

  it("are those of the app's npm start", () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const env = Object.entries(launch.env).map(([k, v]) => `${k}=${v}`);
    expect(pkg.scripts['start']).toBe([...env, 'node', ...launch.nodeArgs, 'dist/main.js'].join(' '));
  });
});
