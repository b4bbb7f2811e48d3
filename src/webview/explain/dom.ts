// A tiny element builder: the panel is built with DOM calls (no innerHTML), so no message content is ever parsed as HTML.
export function el(tag: string, o: { cls?: string; attrs?: Record<string, string> } = {}, ...children: (Node | string)[]): HTMLElement {
  const e = document.createElement(tag);
  if (o.cls) e.className = o.cls;
  for (const [k, v] of Object.entries(o.attrs ?? {})) e.setAttribute(k, v);
  e.append(...children);
  return e;
}
