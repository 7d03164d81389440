import { useState } from 'preact/hooks';
import { formatAgo } from '../logic/format.js';
import { inlineId, shownId, shownName } from '../logic/names.js';
import { api, contacts, errorText, pending, reloaders, say } from '../store.js';
import type { PendingSubscription } from '../types.js';
import { ErrorText, Online, ViewTitle } from './common.js';

function Request({ request }: { request: PendingSubscription }) {
  const [busy, setBusy] = useState(false);
  const jid = inlineId(request.jid);
  const answer = async (verb: 'approve' | 'deny') => {
    setBusy(true);
    try {
      await api.value?.[verb](request.jid);
      say(verb === 'approve' ? `${jid} is now your contact.` : `Denied ${jid}.`);
      await Promise.all([reloaders.pending(), reloaders.contacts()]);
    } catch (err) {
      say(`${jid}: ${errorText(err)}`, 'error');
      setBusy(false);
    }
  };
  return (
    <li class="card row between wrap">
      <span>
        <strong>
          <bdi>{shownId(request.jid)}</bdi>
        </strong>{' '}
        <span class="muted">asked {formatAgo(request.receivedAt)}</span>
      </span>
      <span class="row gap">
        <button
          type="button"
          class="primary"
          disabled={busy}
          aria-label={`Approve ${jid}`}
          onClick={() => void answer('approve')}
        >
          Approve
        </button>
        <button type="button" disabled={busy} aria-label={`Deny ${jid}`} onClick={() => void answer('deny')}>
          Deny
        </button>
      </span>
    </li>
  );
}

const SUBSCRIPTION: Record<string, string> = {
  both: 'friends both ways',
  to: 'you see them; they have not approved you',
  from: 'they see you; you do not see them',
  none: 'no subscription',
};

export function ContactsView() {
  const p = pending.value;
  const c = contacts.value;
  return (
    <section>
      <ViewTitle>Contacts</ViewTitle>
      <h2>Requests</h2>
      {p.state === 'error' && <ErrorText error={p.error} />}
      {p.state === 'ok' && p.value.length === 0 && <p class="muted">No pending requests.</p>}
      {p.state === 'ok' && p.value.length > 0 && (
        <ul class="cards" aria-label="Pending requests">
          {p.value.map((r) => (
            <Request key={r.jid} request={r} />
          ))}
        </ul>
      )}
      <h2>Your contacts</h2>
      <p class="muted">Add contacts with any XMPP client; requests to you show up above.</p>
      {c.state === 'error' && <ErrorText error={c.error} />}
      {c.state === 'ok' && c.value.length === 0 && <p class="muted">No contacts yet.</p>}
      {c.state === 'ok' && c.value.length > 0 && (
        <ul class="cards" aria-label="Contacts">
          {c.value.map((contact) => (
            <li key={contact.jid} class="card contact">
              <div class="row between wrap">
                <strong>
                  {contact.name ? (
                    <>
                      <bdi>{shownName(contact.name)}</bdi> (<bdi>{shownId(contact.jid)}</bdi>)
                    </>
                  ) : (
                    <bdi>{shownId(contact.jid)}</bdi>
                  )}
                </strong>
                <Online online={contact.online} />
              </div>
              <p class="muted">
                {SUBSCRIPTION[contact.subscription]} · {contact.shares} share{contact.shares === 1 ? '' : 's'}
              </p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
