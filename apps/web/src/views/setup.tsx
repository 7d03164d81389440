import { logout } from '../store.js';
import { AccountForm } from './account-form.js';

/** First run: no XMPP account yet. The gateway waits for one; nothing else works until then. */
export function SetupView() {
  return (
    <main id="main" class="narrow">
      <h1>Welcome to bitween</h1>
      <p>
        bitween shares files with your friends through your XMPP (Jabber) account: it publishes what you share
        to your contacts and sees what they share. Log in with the account to start.
      </p>
      <p class="muted">
        The password stays on the daemon (in its data folder). Use an account whose contacts are the friends
        you want to share with.
      </p>
      <AccountForm jid={null} submitLabel="Log in to XMPP" />
      <p>
        <button type="button" class="link" onClick={() => logout()}>
          Log out of this page
        </button>
      </p>
    </main>
  );
}
