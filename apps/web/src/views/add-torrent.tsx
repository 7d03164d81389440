import { useEffect, useState } from 'preact/hooks';
import { inlineName } from '../logic/names.js';
import { isTorrentFile, MAX_TORRENT_FILE, parseAddInput } from '../logic/add-input.js';
import { upsert } from '../logic/torrents.js';
import { navigate } from '../router.js';
import { api, errorText, say, torrents } from '../store.js';
import type { Torrent } from '../types.js';

function added(r: { torrent: Torrent; created: boolean }): void {
  torrents.value = upsert(torrents.value, r.torrent);
  const name = inlineName(r.torrent.name ?? r.torrent.hash);
  say(r.created ? `Added ${name}.` : `${name} was already there.`);
  navigate('/torrents');
}

/** Add a magnet link or an info-hash; resolves to an error text, or null once added. */
export async function addText(text: string): Promise<string | null> {
  const a = api.value;
  const input = parseAddInput(text);
  if (!a) return 'not logged in';
  if (!input) return 'Not a magnet link (magnet:?xt=urn:btih:…) or a 40-character info-hash.';
  try {
    added(input.kind === 'magnet' ? await a.addMagnet(input.magnet) : await a.download(input.hash));
    return null;
  } catch (err) {
    return errorText(err);
  }
}

/** Add a .torrent file; resolves to an error text, or null once added. */
export async function addFile(file: File): Promise<string | null> {
  const a = api.value;
  if (!a) return 'not logged in';
  if (!isTorrentFile(file)) return `${inlineName(file.name)} is not a .torrent file.`;
  if (file.size > MAX_TORRENT_FILE)
    return `${inlineName(file.name)} is larger than a .torrent can be here (700 KiB).`;
  try {
    added(await a.addTorrentFile(file));
    return null;
  } catch (err) {
    return `${inlineName(file.name)}: ${errorText(err)}`;
  }
}

async function addFiles(files: readonly File[]): Promise<void> {
  for (const f of files) {
    const error = await addFile(f);
    if (error) say(error, 'error');
  }
}

/** The add form of the torrents view: a magnet link or hash, or a .torrent file. */
export function AddTorrentForm() {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const err = await addText(text);
    setBusy(false);
    setError(err);
    if (!err) setText('');
  };
  return (
    <form class="add-form row gap" onSubmit={(e) => void submit(e)}>
      <label class="grow">
        <span>Add a magnet link or info-hash</span>
        <input
          type="text"
          name="magnet"
          spellcheck={false}
          autoComplete="off"
          placeholder="magnet:?xt=urn:btih:…"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
        />
      </label>
      <button type="submit" disabled={busy || text.trim() === ''}>
        Add
      </button>
      <label class="button">
        Open .torrent file…
        <input
          class="sr"
          type="file"
          accept=".torrent,application/x-bittorrent"
          multiple
          onChange={(e) => {
            const files = [...(e.currentTarget.files ?? [])];
            e.currentTarget.value = '';
            void addFiles(files);
          }}
        />
      </label>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p class="muted hint">Or drop a .torrent file or a magnet link anywhere on the page, or paste one.</p>
    </form>
  );
}

const editable = (t: EventTarget | null) =>
  t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));

const carriesSomething = (dt: DataTransfer | null) =>
  !!dt && [...dt.types].some((t) => t === 'Files' || t === 'text/uri-list' || t === 'text/plain');

/**
 * Drop a .torrent file or a magnet link anywhere on the page, or paste one outside a text
 * field: it is added (to the default download folder).
 */
export function PageDrop() {
  const [over, setOver] = useState(false);
  useEffect(() => {
    let depth = 0;
    const enter = (e: DragEvent) => {
      if (!carriesSomething(e.dataTransfer)) return;
      e.preventDefault();
      depth++;
      setOver(true);
    };
    const overFn = (e: DragEvent) => {
      if (!carriesSomething(e.dataTransfer)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const leave = () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) setOver(false);
    };
    const drop = (e: DragEvent) => {
      const dt = e.dataTransfer;
      if (!carriesSomething(dt) || !dt) return;
      e.preventDefault();
      depth = 0;
      setOver(false);
      const files = [...dt.files];
      if (files.length > 0) {
        void addFiles(files);
        return;
      }
      const text = dt.getData('text/uri-list') || dt.getData('text/plain');
      void addText(text).then((err) => err && say(err, 'error'));
    };
    const paste = (e: ClipboardEvent) => {
      if (editable(e.target)) return;
      const text = e.clipboardData?.getData('text/plain') ?? '';
      if (!parseAddInput(text)) return;
      e.preventDefault();
      void addText(text).then((err) => err && say(err, 'error'));
    };
    document.addEventListener('dragenter', enter);
    document.addEventListener('dragover', overFn);
    document.addEventListener('dragleave', leave);
    document.addEventListener('drop', drop);
    document.addEventListener('paste', paste);
    return () => {
      document.removeEventListener('dragenter', enter);
      document.removeEventListener('dragover', overFn);
      document.removeEventListener('dragleave', leave);
      document.removeEventListener('drop', drop);
      document.removeEventListener('paste', paste);
    };
  }, []);
  if (!over) return null;
  return (
    <div class="dropzone" aria-hidden="true">
      Drop a .torrent file or magnet link to add it
    </div>
  );
}
