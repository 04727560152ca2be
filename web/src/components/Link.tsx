import type { ComponentChildren } from 'preact';
import { linkClick } from '../router.js';

export function Link(props: { href: string; children: ComponentChildren; class?: string; current?: boolean; title?: string }) {
  return (
    <a href={props.href} class={props.class} onClick={linkClick} aria-current={props.current ? 'page' : undefined} title={props.title}>
      {props.children}
    </a>
  );
}
