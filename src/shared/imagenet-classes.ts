// The 1000 ImageNet class names in VAR's label order, and lookup by id, name or synonym (CLI and class picker).

import classNames from '../data/imagenet-classes.json';
import { VarError } from './errors';

export interface ImageNetClass {
  readonly id: number;
  /** The first synonym, e.g. "golden retriever". */
  readonly name: string;
  /** Every WordNet synonym, e.g. ["great white shark", "white shark", "man-eater", …]. */
  readonly synonyms: readonly string[];
}

export const IMAGENET_CLASSES: readonly ImageNetClass[] = Object.freeze(
  (classNames as string[]).map((entry, id) => {
    const synonyms = entry
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return Object.freeze({ id, name: synonyms[0] ?? entry, synonyms: Object.freeze(synonyms) });
  }),
);

/**
 * Resolves a class given as an id ("207") or a name: an exact synonym (case-insensitive) wins, else a unique prefix
 * of a synonym. Ambiguous and unknown names are errors that list the candidates.
 */
export function resolveClass(query: string, classes: readonly ImageNetClass[] = IMAGENET_CLASSES): ImageNetClass {
  const q = query.trim().toLowerCase();
  if (/^\d+$/.test(q)) {
    const found = classes[Number(q)];
    if (!found) throw new VarError('E_BAD_CLASS', `Class id ${q} is outside 0…${classes.length - 1}`);
    return found;
  }
  if (q === '') throw new VarError('E_BAD_CLASS', 'No class given');
  const exact = classes.filter((c) => c.synonyms.some((s) => s.toLowerCase() === q));
  const candidates =
    exact.length > 0 ? exact : classes.filter((c) => c.synonyms.some((s) => s.toLowerCase().startsWith(q)));
  if (candidates.length === 1) return candidates[0] as ImageNetClass;
  if (candidates.length === 0) {
    throw new VarError('E_BAD_CLASS', `No ImageNet class is called "${query}" (give an id 0…999 or a name)`);
  }
  const list = candidates.slice(0, 8).map((c) => `${c.id} ${c.name}`);
  const more = candidates.length > 8 ? `, and ${candidates.length - 8} more` : '';
  throw new VarError(
    'E_BAD_CLASS',
    `"${query}" matches ${candidates.length} classes: ${list.join('; ')}${more}. Use an id.`,
    {
      candidates: candidates.map((c) => c.id),
    },
  );
}

/** Classes whose id, name or synonyms contain every word of `query` (for search-as-you-type), best first. */
export function searchClasses(query: string, classes: readonly ImageNetClass[] = IMAGENET_CLASSES): ImageNetClass[] {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...classes];
  const scored: { c: ImageNetClass; score: number }[] = [];
  for (const c of classes) {
    const haystack = `${c.id} ${c.synonyms.join(', ')}`.toLowerCase();
    if (!words.every((w) => haystack.includes(w))) continue;
    const name = c.name.toLowerCase();
    const joined = words.join(' ');
    const score =
      String(c.id) === joined
        ? 0
        : name === joined
          ? 1
          : name.startsWith(joined)
            ? 2
            : c.synonyms.some((s) => s.toLowerCase().startsWith(joined))
              ? 3
              : 4;
    scored.push({ c, score });
  }
  return scored.sort((a, b) => a.score - b.score || a.c.id - b.c.id).map((s) => s.c);
}
