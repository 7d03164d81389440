import { signal } from '@preact/signals';

/** The UI's views; the api answers each of these paths with index.html. */
export const VIEWS = ['/torrents', '/shares', '/share', '/contacts', '/settings'] as const;
export type View = (typeof VIEWS)[number];

function viewOf(pathname: string): View {
  return (VIEWS as readonly string[]).includes(pathname) ? (pathname as View) : '/torrents';
}

export const route = signal<View>(viewOf(location.pathname));

export function navigate(to: View): void {
  if (to !== location.pathname) history.pushState(null, '', to);
  route.value = to;
}

addEventListener('popstate', () => {
  route.value = viewOf(location.pathname);
});

/** A click on an in-app link: handled here unless the user wants a new tab. */
export function onLinkClick(e: MouseEvent, to: View): void {
  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(to);
}
