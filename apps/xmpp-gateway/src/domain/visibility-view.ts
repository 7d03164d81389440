/**
 * Which roster groups see each share, as the KV bucket holds it now (main.ts follows the bucket):
 * info-hash → groups; a hash not in the map is seen by every contact.
 */
export class VisibilityView {
  #current: ReadonlyMap<string, readonly string[]> = new Map();
  readonly #listeners = new Set<() => void>();

  current(): ReadonlyMap<string, readonly string[]> {
    return this.#current;
  }

  set(visibility: ReadonlyMap<string, readonly string[]>): void {
    this.#current = visibility;
    for (const listener of this.#listeners) listener();
  }

  /** Call `listener` after every change; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
