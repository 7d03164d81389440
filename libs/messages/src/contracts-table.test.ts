import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as engine from './contracts/engine.js';
import * as xmpp from './contracts/xmpp.js';
import { buckets } from './subjects.js';

// docs/architecture.md's contracts table is written by hand (the payload column is prose): this
// keeps it complete. Every command and event of the contracts has its row, subject and contract.
const doc = readFileSync(new URL('../../../docs/architecture.md', import.meta.url), 'utf8');
const section = doc.slice(doc.indexOf('## NATS contracts'), doc.indexOf('## Flows'));
const rows = section.split('\n').filter((line) => line.startsWith('| '));

interface Contract {
  kind: string;
  pattern?: string;
  subject: (params: unknown) => string;
}

function contracts(ns: Record<string, unknown>, prefix: string): [string, string][] {
  return Object.entries(ns)
    .filter(([, c]) => {
      const kind = (c as { kind?: unknown } | null)?.kind;
      return kind === 'command' || kind === 'event';
    })
    .map(([key, c]) => {
      const contract = c as Contract;
      const subject =
        contract.kind === 'event'
          ? contract.pattern!.replace('*', '<hash>')
          : contract.subject({ engineId: 'ENGINE_ID' }).replace('ENGINE_ID', '<engineId>');
      return [`${prefix}.${key}`, subject];
    });
}

describe('the contracts table in docs/architecture.md', () => {
  const all = [...contracts(engine, 'engine'), ...contracts(xmpp, 'xmpp')];

  it('finds the contracts', () => {
    expect(all.length).toBeGreaterThan(30);
  });

  it.each(all)('has a row for %s (%s)', (name, subject) => {
    const row = rows.find((r) => r.startsWith(`| \`${subject}\` |`));
    expect(row, `add a row for ${subject} to the table`).toBeDefined();
    expect(row).toContain(`\`${name}\``);
  });

  it.each(Object.values(buckets))('has a row for the KV bucket %s', (bucket) => {
    expect(rows.some((r) => r.includes(`KV bucket \`${bucket}\``))).toBe(true);
  });
});
