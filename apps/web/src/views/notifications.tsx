import { useEffect, useState } from 'preact/hooks';
import { inlineName } from '../logic/names.js';
import { displayName } from '../logic/torrents.js';
import { onSharesAdded, onTorrentCompleted } from '../store.js';

const supported = () => typeof Notification !== 'undefined';

function notify(title: string, body: string, tag: string): void {
  if (!supported() || Notification.permission !== 'granted') return;
  try {
    new Notification(title, { body, tag });
  } catch {
    // some browsers allow notifications only from a service worker: nothing to show then
  }
}

/**
 * Browser notifications: a download completes, a friend shares something new. The permission
 * is asked only when the user clicks the button (browsers ignore asks without a gesture).
 */
export function NotificationsButton() {
  const [permission, setPermission] = useState(supported() ? Notification.permission : 'denied');
  useEffect(() => {
    onTorrentCompleted((t) => notify('Download complete', inlineName(displayName(t)), `done-${t.hash}`));
    onSharesAdded((list) => {
      const first = list[0];
      if (!first) return;
      const who = first.sources[0]?.jid ?? 'A friend';
      notify(
        list.length === 1 ? `${who} shares something new` : `${list.length} new shares from friends`,
        list
          .slice(0, 5)
          .map((s) => inlineName(s.name))
          .join(', '),
        `share-${first.hash}`,
      );
    });
    return () => {
      onTorrentCompleted(null);
      onSharesAdded(null);
    };
  }, []);
  if (!supported() || permission !== 'default') return null;
  return (
    <button
      type="button"
      class="link"
      onClick={() => void Notification.requestPermission().then((p) => setPermission(p))}
    >
      Notify me of finished downloads and new shares
    </button>
  );
}
