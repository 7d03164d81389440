// The configuration tables of README.md and apps/api/README.md and the whole of .env.example,
// generated from the zod schemas the services parse their environment with (each app's
// src/config.ts: `.describe()` is the meaning, `.meta({ defaultText })` a default that is not a
// plain value) plus DEPLOYMENT below (what compose, `npm start` and the CLI read).
//
//   node scripts/config-docs.mjs           rewrite the three files (after `npm run build`)
//   node scripts/config-docs.mjs --check   exit 1, naming the stale files, when they differ (CI)
//
// It reads the built schemas (apps/*/dist/config.js): build first.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const root = fileURLToPath(new URL('../', import.meta.url));
const REGENERATE = 'npm run build && node scripts/config-docs.mjs';

/** What the services parse, in the order of the docs' sections. */
const SERVICES = [
  { reader: 'gateway', module: 'apps/xmpp-gateway/dist/config.js', schema: 'GatewayConfig' },
  { reader: 'engine', module: 'apps/torrent-engine/dist/config.js', schema: 'EngineConfig' },
  { reader: 'api', module: 'apps/api/dist/config.js', schema: 'ApiConfigSchema' },
];

/**
 * Variables no service parses: read by docker-compose.yml, scripts/start.mjs (`npm start`) or the
 * CLI (apps/cli/src/config.ts). `readers` says who; `group` the .env.example section.
 */
const DEPLOYMENT = z.object({
  BITWEEN_DATA_DIR: z
    .string()
    .default('./data')
    .meta({
      readers: ['CLI'],
      description: 'where the CLI reads the api’s key (`<dir>/api-key`; `--data-dir` overrides)',
    }),
  BITWEEN_API_URL: z.string().meta({
    readers: ['CLI'],
    description: 'where the CLI finds the api (`--url` overrides)',
    defaultText: '`http://127.0.0.1:$BITWEEN_API_PORT`',
  }),
  BITWEEN_API_KEY: z.string().meta({
    readers: ['CLI'],
    description: 'the key the CLI sends (`--api-key` overrides)',
    defaultText: 'from `BITWEEN_DATA_DIR`',
  }),
  BITWEEN_LOG_FORMAT: z.enum(['json', 'pretty']).meta({
    readers: ['npm start'],
    description: '`json` (one pino JSON line per event on stdout) or `pretty` (pino-pretty)',
    defaultText: '`pretty` on a terminal, `json` otherwise',
  }),
  BITWEEN_NATS_PORT: z
    .string()
    .default('4222')
    .meta({ readers: ['compose', 'npm start'], description: 'port of the NATS server they start' }),
  BITWEEN_SHARES_DIR: z
    .string()
    .default('./shares')
    .meta({
      readers: ['compose'],
      description: 'host folder mounted read-only at `/shares` (what you can share)',
    }),
  BITWEEN_NATS_MONITOR_PORT: z
    .string()
    .default('8222')
    .meta({
      readers: ['compose'],
      description:
        'monitoring port of the NATS server compose starts (loopback; its healthcheck asks /healthz)',
    }),
  BITWEEN_IMAGE: z
    .string()
    .default('bitween:latest')
    .meta({
      readers: ['compose'],
      description: 'the bitween image to run (built from the Dockerfile when missing)',
    }),
  BITWEEN_NATS_IMAGE: z
    .string()
    .default('nats:2.10-alpine')
    .meta({ readers: ['compose'], description: 'the NATS image to run' }),
  BITWEEN_DEMO_XMPP_PORT: z
    .string()
    .default('15222')
    .meta({
      readers: ['compose demo'],
      description:
        'loopback port of the demo’s Prosody (accounts alice@bitween.demo / alice-demo and bob@bitween.demo / bob-demo, friends)',
    }),
  BITWEEN_DEMO_NATS_PORT: z
    .string()
    .default('14222')
    .meta({ readers: ['compose demo'], description: 'loopback port of bob’s NATS' }),
  BITWEEN_DEMO_NATS_MONITOR_PORT: z
    .string()
    .default('18222')
    .meta({ readers: ['compose demo'], description: 'loopback monitoring port of bob’s NATS' }),
  BITWEEN_DEMO_API_PORT: z
    .string()
    .default('5001')
    .meta({ readers: ['compose demo'], description: 'loopback port of bob’s api' }),
  BITWEEN_DEMO_TORRENT_PORT: z
    .string()
    .default('8100-8120')
    .meta({ readers: ['compose demo'], description: 'port range of bob’s engines' }),
});

/** One variable as one reader documents it. */
function describeVariable(name, schema, reader) {
  const meta = schema.meta() ?? {};
  const description = meta.description ?? schema.description;
  if (!description)
    throw new Error(`${name} (${reader}) has no description: add .describe('…') to its schema`);
  return { name, reader, description, default: defaultOf(name, schema, meta) };
}

/** The documented default: `defaultText`, a plain default value, or "none". */
function defaultOf(name, schema, meta) {
  if (typeof meta.defaultText === 'string') return meta.defaultText;
  if (schema._zod.def.type !== 'default') return 'none';
  const value = schema._zod.def.defaultValue;
  if (Array.isArray(value) && value.length === 0) return 'none';
  if (['string', 'number', 'boolean'].includes(typeof value)) return `\`${value}\``;
  throw new Error(`${name}: its default is not a plain value: add .meta({ defaultText: '…' })`);
}

async function collect() {
  const entries = [];
  for (const service of SERVICES) {
    const mod = await import(join(root, service.module));
    const schema = mod[service.schema];
    if (!schema?.shape) throw new Error(`${service.module} exports no zod object ${service.schema}`);
    for (const [name, s] of Object.entries(schema.shape))
      entries.push(describeVariable(name, s, service.reader));
  }
  for (const [name, s] of Object.entries(DEPLOYMENT.shape)) {
    for (const reader of s.meta().readers) entries.push(describeVariable(name, s, reader));
  }
  // Merge by name, in first-seen order; readers that say the same are said once.
  const byName = new Map();
  for (const e of entries) {
    const v = byName.get(e.name) ?? { name: e.name, readers: [], parts: [] };
    v.readers.push(e.reader);
    const same = v.parts.find((p) => p.description === e.description && p.default === e.default);
    if (same) same.readers.push(e.reader);
    else v.parts.push({ readers: [e.reader], description: e.description, default: e.default });
    byName.set(e.name, v);
  }
  return [...byName.values()];
}

const serviceReaders = SERVICES.map((s) => s.reader);
const SECTIONS = [
  { title: 'all services, and settings several of them read', test: (v) => sharedByServices(v) },
  { title: 'XMPP account and gateway (xmpp-gateway)', test: (v) => v.readers[0] === 'gateway' },
  { title: 'BitTorrent engine (torrent-engine)', test: (v) => v.readers[0] === 'engine' },
  { title: 'API (api)', test: (v) => v.readers[0] === 'api' },
  { title: 'bitween CLI (on the host)', test: (v) => v.readers[0] === 'CLI' },
  { title: '`npm start` and docker compose', test: (v) => ['npm start', 'compose'].includes(v.readers[0]) },
  { title: 'docker compose, demo profile (`docker compose --profile demo up -d`)', test: () => true },
];

function sharedByServices(v) {
  return v.readers.filter((r) => serviceReaders.includes(r)).length > 1;
}

function sectioned(vars) {
  const sections = SECTIONS.map((s) => ({ title: s.title, vars: [] }));
  for (const v of vars) sections[SECTIONS.findIndex((s) => s.test(v))].vars.push(v);
  return sections.filter((s) => s.vars.length > 0);
}

const cell = (text) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
const readersOf = (v) =>
  serviceReaders.every((r) => v.readers.includes(r)) && v.readers.length === serviceReaders.length
    ? 'all'
    : v.readers.join(', ');
const joinParts = (v, pick) =>
  v.parts.length === 1 || v.parts.every((p) => pick(p) === pick(v.parts[0]))
    ? pick(v.parts[0])
    : v.parts.map((p) => `${p.readers.join(', ')}: ${pick(p)}`).join('; ');

function readmeTable(vars) {
  const rows = sectioned(vars).flatMap((s) => s.vars);
  return [
    '| variable | read by | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows.map(
      (v) =>
        `| \`${v.name}\` | ${readersOf(v)} | ${cell(joinParts(v, (p) => p.default))} | ${cell(joinParts(v, (p) => p.description))} |`,
    ),
  ].join('\n');
}

function apiTable(vars) {
  const rows = vars.filter((v) => v.readers.includes('api'));
  return [
    '| variable | default | meaning |',
    '| --- | --- | --- |',
    ...rows.map((v) => {
      const part = v.parts.find((p) => p.readers.includes('api'));
      return `| \`${v.name}\` | ${cell(part.default)} | ${cell(part.description)} |`;
    }),
  ].join('\n');
}

const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);

/** Markdown to plain comment text: no backticks, links as their text. */
const plain = (text) => text.replaceAll('`', '').replace(/\[([^\]]+)\]\([^)]+\)/g, '$1');

function wrap(text, width) {
  const lines = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function envExample(vars) {
  const out = [
    '# bitween configuration. Copy to .env and fill in the XMPP account; everything else has a default.',
    '# Every variable is read once at start-up; a bad value stops the service with a message naming it.',
    '# An empty value means the default. docker compose passes these to the containers; `npm start`',
    '# reads .env itself.',
    '#',
    `# Generated from the services' zod schemas (apps/*/src/config.ts) by scripts/config-docs.mjs:`,
    `# change the text there and run \`${REGENERATE}\`.`,
  ];
  for (const section of sectioned(vars)) {
    const title = `# --- ${plain(section.title)} `;
    out.push('', title.padEnd(100, '-'));
    for (const v of section.vars) {
      const readers = readersOf(v);
      const text = v.parts
        .map((p) =>
          v.parts.length > 1 ? `${p.readers.join(', ')}: ${p.description}.` : `${capital(p.description)}.`,
        )
        .join(' ');
      const dflt = joinParts(v, (p) => p.default);
      const by = readers === 'all' || !sharedByServices(v) ? '' : ` Read by: ${readers}.`;
      const comment = `${text} Default: ${dflt}.${by}`;
      for (const line of wrap(plain(comment), 97)) out.push(`# ${line}`);
      out.push(`${v.name}=`);
    }
  }
  return `${out.join('\n')}\n`;
}

const START = '<!-- config table: generated by scripts/config-docs.mjs from the zod schemas; do not edit -->';
const END = '<!-- end of config table -->';

function between(file, text, table) {
  const from = text.indexOf(START);
  const to = text.indexOf(END);
  if (from < 0 || to < from) throw new Error(`${file}: the markers ${START} … ${END} are missing`);
  return `${text.slice(0, from + START.length)}\n${table}\n${text.slice(to)}`;
}

const vars = await collect();
const targets = [
  ['README.md', (text) => between('README.md', text, readmeTable(vars))],
  ['apps/api/README.md', (text) => between('apps/api/README.md', text, apiTable(vars))],
  ['.env.example', () => envExample(vars)],
];
const check = process.argv.includes('--check');
const stale = [];
for (const [file, render] of targets) {
  const path = join(root, file);
  const before = readFileSync(path, 'utf8');
  const after = render(before);
  if (after === before) continue;
  stale.push(file);
  if (!check) writeFileSync(path, after);
}
if (check && stale.length > 0) {
  console.error(
    `The configuration docs are stale (${stale.join(', ')}): a config schema changed. Run \`${REGENERATE}\` and commit the result.`,
  );
  process.exit(1);
}
console.log(
  stale.length === 0
    ? 'configuration docs are up to date'
    : `configuration docs rewritten: ${stale.join(', ')}`,
);
