// Small DOM helpers: find markup by test id (typed, failing loudly) and build elements with text, never HTML.

type Ctor<T extends Element> = { new (): T; prototype: T };

/** The element with `data-testid="id"` under `root`, checked to be a `type`. */
export function byTestId<T extends Element>(root: ParentNode, id: string, type: Ctor<T>): T {
  const found = root.querySelector(`[data-testid="${id}"]`);
  if (!(found instanceof type)) throw new Error(`the page markup is missing ${type.name} [data-testid="${id}"]`);
  return found;
}

export interface ElementProps {
  className?: string;
  text?: string;
  testid?: string;
  attrs?: Record<string, string>;
}

/** `document.createElement` with a class, text content (not HTML), a test id and attributes. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  children: readonly (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.className) el.className = props.className;
  if (props.text !== undefined) el.textContent = props.text;
  if (props.testid) el.dataset.testid = props.testid;
  for (const [name, value] of Object.entries(props.attrs ?? {})) el.setAttribute(name, value);
  el.append(...children);
  return el;
}
