/**
 * Run `task` whenever triggered, never twice at once: a trigger while it runs makes it run
 * once more afterwards (however many triggers came). `idle()` resolves when nothing is left.
 */
export function coalesce(task: () => Promise<void>, onError: (err: unknown) => void) {
  let running: Promise<void> | null = null;
  let again = false;
  const loop = async () => {
    do {
      again = false;
      try {
        await task();
      } catch (err) {
        onError(err);
      }
    } while (again);
    running = null;
  };
  return {
    trigger(): void {
      if (running) again = true;
      else running = loop();
    },
    async idle(): Promise<void> {
      while (running) await running;
    },
  };
}
