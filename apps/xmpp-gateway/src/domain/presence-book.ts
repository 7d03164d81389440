/**
 * Who is available right now, from presence: bare JID → available resources. Our own account's
 * other instances are in here as well. Cleared when our own connection drops (the server sends
 * everyone's presence again when we come back).
 */
export class PresenceBook {
  readonly #available = new Map<string, Set<string>>();
  /** bare JID → available resources whose presence announced bitween's caps node. */
  readonly #bitween = new Map<string, Set<string>>();

  /**
   * Record a presence (`bitween`: its caps name bitween as the software); returns whether the
   * availability changed.
   */
  set(bare: string, resource: string, available: boolean, bitween = false): boolean {
    const runs = this.#bitween.get(bare);
    if (available && bitween) {
      if (runs) runs.add(resource);
      else this.#bitween.set(bare, new Set([resource]));
    } else if (runs?.delete(resource) && runs.size === 0) this.#bitween.delete(bare);
    let set = this.#available.get(bare);
    if (available) {
      if (!set) this.#available.set(bare, (set = new Set()));
      if (set.has(resource)) return false;
      set.add(resource);
      return true;
    }
    if (!set?.delete(resource)) return false;
    if (set.size === 0) this.#available.delete(bare);
    return true;
  }

  /** Everyone is offline (our own connection dropped); returns the JIDs that were online. */
  clear(): string[] {
    const was = [...this.#available.keys()];
    this.#available.clear();
    this.#bitween.clear();
    return was;
  }

  /** Whether an available resource of `bare` runs bitween (by the caps node of its presence). */
  runsBitween(bare: string): boolean {
    return this.#bitween.has(bare);
  }

  isOnline(bare: string, resource: string): boolean {
    return this.#available.get(bare)?.has(resource) ?? false;
  }

  resources(bare: string): string[] {
    return [...(this.#available.get(bare) ?? [])].sort();
  }
}
