/**
 * A service refuses to run without the dependency patches it loads (patches/, applied by
 * patch-package in npm's postinstall): `npm ci --ignore-scripts` installs the packages without
 * them and nothing else would notice. Each patch adds code this module looks for (one marker per
 * patched file), in the copy of the package the service really loads. Each service lists its own
 * patches (apps/torrent-engine/src/patches-applied.ts, apps/xmpp-gateway/src/patches-applied.ts).
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';

export interface PatchMarker {
  /** The patch file in patches/ (patch-package names it `<package>+<version>.patch`). */
  readonly patch: string;
  /** The patched package, and the packages through which the service loads it (outermost first). */
  readonly pkg: string;
  readonly via: readonly string[];
  /** Files of the package the patch changes, each with text only the patched file contains. */
  readonly files: readonly { readonly file: string; readonly marker: string }[];
}

/** The version a patch is for (`name+1.2.3.patch`). */
export function patchVersion(patch: string): string {
  return /\+([^+]+)\.patch$/.exec(patch)?.[1] ?? '';
}

/**
 * The folder of `pkg` as Node finds it from `fromDir` (node_modules/<pkg> in it or a parent
 * folder; the real path, so that a workspace link resolves from where its files are), or null.
 */
export function findPackage(pkg: string, fromDir: string): string | null {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', pkg);
    if (existsSync(path.join(candidate, 'package.json'))) return realpathSync(candidate);
    if (path.dirname(dir) === dir) return null;
  }
}

export interface MissingPatch {
  readonly patch: string;
  readonly reason: string;
}

/** What is wrong with each patch that is not applied (empty: all are). */
export function missingPatches(markers: readonly PatchMarker[], fromDir: string): MissingPatch[] {
  const missing: MissingPatch[] = [];
  for (const m of markers) {
    let dir: string | null = fromDir;
    for (const name of [...m.via, m.pkg]) {
      dir = dir === null ? null : findPackage(name, dir);
    }
    if (dir === null) {
      missing.push({ patch: m.patch, reason: `${m.pkg} is not installed (looked from ${fromDir})` });
      continue;
    }
    const version = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string })
      .version;
    if (version !== patchVersion(m.patch)) {
      missing.push({
        patch: m.patch,
        reason: `${m.pkg} ${version ?? '(no version)'} is installed at ${dir}, the patch is for ${patchVersion(m.patch)}`,
      });
      continue;
    }
    for (const { file, marker } of m.files) {
      const at = path.join(dir, file);
      const text = existsSync(at) ? readFileSync(at, 'utf8') : null;
      if (text === null || !text.includes(marker)) {
        missing.push({ patch: m.patch, reason: `${at} does not have the patch's change` });
        break;
      }
    }
  }
  return missing;
}

/** Throw, naming each missing patch and the fix, unless every patch is applied. */
export function assertPatchesApplied(markers: readonly PatchMarker[], fromDir: string): void {
  const missing = missingPatches(markers, fromDir);
  if (missing.length === 0) return;
  const list = missing.map((m) => `patches/${m.patch}: ${m.reason}`).join('; ');
  throw new Error(
    `dependency patches not applied (${list}). They are applied by patch-package in npm's postinstall: ` +
      'reinstall with `npm ci` (not --ignore-scripts), or run `npx patch-package` in the repository root.',
  );
}

/**
 * What disagrees between a service's `markers` and the patch files in `patchesDir` that `owns`
 * (by file name): a patch without an entry or an entry without a patch, a file the patch changes
 * without a marker (or the reverse), a marker the patch does not add (text the package already
 * had proves nothing). Empty when they agree: each service's test keeps its list in step with it.
 */
export function patchMarkerDrift(
  markers: readonly PatchMarker[],
  patchesDir: string,
  owns: (patchFile: string) => boolean,
): string[] {
  const drift: string[] = [];
  const patches = readdirSync(patchesDir).filter((f) => f.endsWith('.patch') && owns(f));
  const listed = new Set(markers.map((m) => m.patch));
  for (const p of patches) if (!listed.has(p)) drift.push(`${p}: no marker entry`);
  for (const m of markers) {
    if (!patches.includes(m.patch)) {
      drift.push(`${m.patch}: listed, but not in ${patchesDir}`);
      continue;
    }
    const text = readFileSync(path.join(patchesDir, m.patch), 'utf8');
    const changed = new Set(
      [...text.matchAll(/^diff --git a\/node_modules\/(?:@[^/]+\/)?[^/]+\/(\S+) /gm)].map((x) => x[1]!),
    );
    const marked = new Set(m.files.map((f) => f.file));
    for (const f of changed) if (!marked.has(f)) drift.push(`${m.patch}: changes ${f}, which has no marker`);
    for (const f of marked)
      if (!changed.has(f)) drift.push(`${m.patch}: a marker for ${f}, which it does not change`);
    for (const { file, marker } of m.files) {
      const added = text.split('\n').some((l) => l.startsWith('+') && l.includes(marker));
      if (!added) drift.push(`${m.patch}: the marker of ${file} is not text the patch adds`);
    }
  }
  return drift;
}
