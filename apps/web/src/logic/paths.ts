/** POSIX paths on the daemon's host, as the folder picker builds them (pure). */

export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

/**
 * The crumbs from the share root that contains `path` down to `path` itself: the root as one
 * crumb (its full path), then one per folder below it. A path under no root gives no crumbs.
 */
export function crumbs(roots: readonly string[], path: string): { label: string; path: string }[] {
  const root = [...roots]
    .sort((a, b) => b.length - a.length)
    .find((r) => path === r || path.startsWith(r.endsWith('/') ? r : `${r}/`));
  if (root === undefined) return [];
  const out = [{ label: root, path: root }];
  let at = root;
  for (const part of path.slice(root.length).split('/').filter(Boolean)) {
    at = joinPath(at, part);
    out.push({ label: part, path: at });
  }
  return out;
}
