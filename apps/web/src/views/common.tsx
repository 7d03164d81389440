import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { onLinkClick, route, type View } from '../router.js';

export function Link({
  to,
  children,
  class: cls,
}: {
  to: View;
  children: ComponentChildren;
  class?: string;
}) {
  return (
    <a
      href={to}
      class={cls}
      aria-current={route.value === to ? 'page' : undefined}
      onClick={(e) => onLinkClick(e, to)}
    >
      {children}
    </a>
  );
}

/** A view's heading; focused when the view opens, so keyboard and screen-reader users land here. */
export function ViewTitle({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus({ preventScroll: true }), []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}

/**
 * A modal dialog (the native <dialog>: focus moves into it, Escape closes it, the page behind
 * is inert). `onClose` is called however it closes.
 */
export function Modal({
  title,
  onClose,
  children,
}: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    const opener = document.activeElement as HTMLElement | null;
    d.showModal();
    return () => {
      if (d.open) d.close();
      // Back to what opened it; if that is gone (the item was removed), to the view's heading.
      if (opener?.isConnected) opener.focus();
      else document.querySelector<HTMLElement>('main h1')?.focus();
    };
  }, []);
  return (
    <dialog ref={ref} aria-label={title} onClose={onClose}>
      <h2>{title}</h2>
      {children}
    </dialog>
  );
}

export function ErrorText({ error }: { error: string | null | undefined }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

export function Online({ online }: { online: boolean }) {
  return <span class={online ? 'dot online' : 'dot offline'}>{online ? 'online' : 'offline'}</span>;
}
