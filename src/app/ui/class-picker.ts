// The class picker: an ARIA combobox over the 1000 ImageNet classes (search by name, synonym or id) and a
// random-class button. Class names are data: they only ever reach the DOM as text.

import { IMAGENET_CLASSES, type ImageNetClass, searchClasses } from '../../shared/imagenet-classes';
import { byTestId, h } from './dom';
import { moveActive } from './listbox-keys';

export interface ClassPicker {
  readonly classId: number;
  /** Shows `classId` as chosen (no change event). */
  set(classId: number): void;
}

export function createClassPicker(
  root: HTMLElement,
  options: { initial: number; onChange?: (cls: ImageNetClass) => void },
): ClassPicker {
  const input = byTestId(root, 'class.input', HTMLInputElement);
  const listbox = byTestId(root, 'class.listbox', HTMLDivElement);
  const random = byTestId(root, 'class.random', HTMLButtonElement);
  const chosenLine = byTestId(root, 'class.chosen', HTMLElement);
  const resultsLine = byTestId(root, 'class.results', HTMLElement);

  let chosen = IMAGENET_CLASSES[options.initial] ?? (IMAGENET_CLASSES[0] as ImageNetClass);
  let results: ImageNetClass[] = [];
  let active = -1;
  // The input shows the chosen name until the person types: then it is a query.
  let edited = false;

  const optionId = (cls: ImageNetClass) => `class-option-${cls.id}`;

  function show(cls: ImageNetClass): void {
    chosen = cls;
    edited = false;
    input.value = cls.name;
    chosenLine.dataset.classId = String(cls.id);
    const others = cls.synonyms.slice(1).join(', ');
    chosenLine.replaceChildren(
      h('span', { className: 'chosen-name', text: cls.name }),
      h('span', { className: 'chosen-id', text: ` · class ${cls.id}` }),
      ...(others ? [h('span', { className: 'chosen-synonyms', text: ` · also: ${others}` })] : []),
    );
  }

  function renderOptions(): void {
    // All matches are rendered (at most 1000 short rows): the list scrolls, and browsing can reach every class.
    listbox.replaceChildren(
      ...results.map((cls, i) => {
        const others = cls.synonyms.slice(1).join(', ');
        return h(
          'div',
          {
            testid: 'class.option',
            attrs: {
              id: optionId(cls),
              role: 'option',
              'aria-selected': String(i === active),
              'data-class-id': String(cls.id),
              ...(cls.id === chosen.id ? { 'data-chosen': 'true' } : {}),
            },
          },
          [
            h('span', { className: 'option-name', text: cls.name }),
            ...(others ? [h('span', { className: 'option-synonyms', text: others })] : []),
            h('span', { className: 'option-id', text: String(cls.id) }),
          ],
        );
      }),
    );
    resultsLine.textContent =
      results.length === 0
        ? `No class matches “${input.value.trim()}”.`
        : `${results.length} ${results.length === 1 ? 'class' : 'classes'}.`;
  }

  function setActive(index: number): void {
    const items = listbox.children;
    items[active]?.setAttribute('aria-selected', 'false');
    active = Math.min(index, results.length - 1);
    const item = items[active];
    if (item) {
      item.setAttribute('aria-selected', 'true');
      input.setAttribute('aria-activedescendant', item.id);
      item.scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  }

  function open(): void {
    results = searchClasses(edited ? input.value : '');
    active = -1;
    renderOptions();
    listbox.hidden = false;
    resultsLine.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    // Typing highlights the best match (Enter takes it); browsing starts at the chosen class.
    if (edited && input.value.trim() !== '') setActive(0);
    else if (!edited) setActive(results.findIndex((c) => c.id === chosen.id));
  }

  function close(): void {
    listbox.hidden = true;
    resultsLine.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  }

  function choose(cls: ImageNetClass): void {
    close();
    show(cls);
    options.onChange?.(cls);
  }

  input.addEventListener('input', () => {
    edited = true;
    open();
  });
  input.addEventListener('click', () => {
    if (listbox.hidden) open();
  });
  input.addEventListener('focus', () => input.select());
  input.addEventListener('keydown', (e) => {
    const isOpen = !listbox.hidden;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (!isOpen) {
        open();
        if (active < 0 && !e.altKey) setActive(moveActive(e.key, -1, results.length) ?? -1);
        return;
      }
    }
    if (isOpen) {
      const next = moveActive(e.key, active, results.length);
      if (next !== null) {
        e.preventDefault();
        setActive(next);
        return;
      }
    }
    if (e.key === 'Enter' && isOpen) {
      // Enter takes the highlighted class; it never submits the form while the list is open.
      e.preventDefault();
      const cls = results[active];
      if (cls) choose(cls);
      else close();
    } else if (e.key === 'Escape') {
      if (isOpen) {
        e.preventDefault();
        close();
      } else if (edited) {
        show(chosen);
      }
    } else if (e.key === 'Tab' && isOpen) {
      close();
    }
  });
  input.addEventListener('blur', () => {
    close();
    if (edited) show(chosen);
  });
  // Keep the focus in the input while an option is clicked (a blur would close the list first).
  listbox.addEventListener('mousedown', (e) => e.preventDefault());
  listbox.addEventListener('click', (e) => {
    const item = e.target instanceof Element ? e.target.closest('[role="option"]') : null;
    const cls = IMAGENET_CLASSES[Number(item?.getAttribute('data-class-id'))];
    if (item && cls) choose(cls);
  });
  random.addEventListener('click', () => {
    let id = Math.floor(Math.random() * IMAGENET_CLASSES.length);
    if (id === chosen.id) id = (id + 1) % IMAGENET_CLASSES.length;
    const cls = IMAGENET_CLASSES[id];
    if (cls) choose(cls);
  });

  close();
  show(chosen);
  return {
    get classId() {
      return chosen.id;
    },
    set(classId: number) {
      const cls = IMAGENET_CLASSES[classId];
      if (cls) show(cls);
    },
  };
}
