import { useEffect } from 'preact/hooks';
import { route, type View } from './router.js';
import { account, api, notice, stream } from './store.js';
import { Link } from './views/common.js';
import { PageDrop } from './views/add-torrent.js';
import { ContactsView } from './views/contacts.js';
import { LoginView } from './views/login.js';
import { OffersBadge, OffersPanel } from './views/offers.js';
import { SettingsView } from './views/settings.js';
import { SetupView } from './views/setup.js';
import { ShareView } from './views/share.js';
import { SharesView } from './views/shares.js';
import { OfflineBanner, StatusBar } from './views/status-bar.js';
import { TorrentsView } from './views/torrents.js';

const NAV: [View, string][] = [
  ['/torrents', 'Torrents'],
  ['/shares', 'Friends'],
  ['/share', 'Share'],
  ['/contacts', 'Contacts'],
  ['/settings', 'Settings'],
];

const VIEWS: Record<View, () => preact.JSX.Element> = {
  '/torrents': TorrentsView,
  '/shares': SharesView,
  '/share': ShareView,
  '/contacts': ContactsView,
  '/settings': SettingsView,
};

/** Not logged in to XMPP, or no gateway: said plainly on every view. */
function ConnectionBanner() {
  const a = account.value;
  if (a.state === 'error') {
    return (
      <p class="banner" role="status">
        The XMPP gateway does not answer ({a.error}). Friends' shares and contacts are unavailable.
      </p>
    );
  }
  if (a.state !== 'ok' || a.value.online) return null;
  return (
    <p class="banner" role="status">
      Not connected to XMPP{a.value.jid ? ` as ${a.value.jid}` : ''}: friends' shares and contacts may be out
      of date. The daemon keeps trying; check the account in <Link to="/settings">Settings</Link>.
    </p>
  );
}

function Notice() {
  const n = notice.value;
  useEffect(() => {
    if (!n) return;
    const t = setTimeout(() => {
      if (notice.value === n) notice.value = null;
    }, 8000);
    return () => clearTimeout(t);
  }, [n]);
  return (
    <div class="toast-area" role="status" aria-live="polite">
      {n && <p class={`toast ${n.kind}`}>{n.text}</p>}
    </div>
  );
}

export function App() {
  if (!api.value) return <LoginView />;
  const a = account.value;
  if (a.state === 'ok' && !a.value.configured) return <SetupView />;
  const Current = VIEWS[route.value];
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">bitween</span>
        <nav aria-label="Main">
          {NAV.map(([to, label]) => (
            <Link key={to} to={to}>
              {label}
              {to === '/shares' && <OffersBadge />}
            </Link>
          ))}
        </nav>
        {stream.value !== 'live' && (
          <span class="live muted" role="status">
            {stream.value === 'connecting' ? 'connecting…' : 'reconnecting…'}
          </span>
        )}
      </header>
      <OfflineBanner />
      <ConnectionBanner />
      <main id="main">
        <OffersPanel />
        <Current />
      </main>
      <div class="dock">
        <Notice />
        <StatusBar />
      </div>
      <PageDrop />
    </>
  );
}
