// Loaded before every test file (vitest.config.ts, setupFiles). A service that NATS refuses
// something (a "Publish Violation" or "Subscription Violation" in nats-server's log) means the
// permission table in libs/nats-auth forgot what the product really does: the test (or, for
// refusals during start-up or shutdown, the file) fails and names the subject. Tests that provoke
// refusals on purpose start their server with `expectViolations: true`.
import { afterAll, afterEach } from 'vitest';
import { takeUnexpectedNatsViolations } from './nats.js';

function check(): void {
  const violations = takeUnexpectedNatsViolations();
  if (violations.length > 0) {
    throw new Error(
      `NATS refused a client (a permission missing from libs/nats-auth's table?):\n  ${violations.join('\n  ')}`,
    );
  }
}

afterEach(check);
afterAll(check);
