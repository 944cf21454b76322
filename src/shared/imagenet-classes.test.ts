// Class lookup by id, exact synonym and unique prefix; ambiguity and unknown names are specific errors.
import { describe, expect, it } from 'vitest';
import { IMAGENET_CLASSES, resolveClass, searchClasses } from './imagenet-classes';

describe('ImageNet classes', () => {
  it('has 1000 classes in VAR label order', () => {
    expect(IMAGENET_CLASSES).toHaveLength(1000);
    expect(IMAGENET_CLASSES[0]?.name).toBe('tench');
    expect(IMAGENET_CLASSES[207]?.name).toBe('golden retriever');
    expect(IMAGENET_CLASSES[980]?.name).toBe('volcano');
  });

  it('resolves ids, exact synonyms and unique prefixes, case-insensitively', () => {
    expect(resolveClass('207').id).toBe(207);
    expect(resolveClass('Golden Retriever').id).toBe(207);
    expect(resolveClass('volc').id).toBe(980);
    expect(resolveClass('man-eater').id).toBe(2); // a synonym, not the first name
  });

  it('rejects unknown, ambiguous and out-of-range classes with E_BAD_CLASS', () => {
    expect(() => resolveClass('1000')).toThrow(expect.objectContaining({ code: 'E_BAD_CLASS' }));
    expect(() => resolveClass('unicorn')).toThrow(/No ImageNet class is called "unicorn"/);
    // "crane" is both a bird (134) and a machine (517).
    expect(() => resolveClass('crane')).toThrow(/"crane" matches 2 classes: 134 crane; 517 crane/);
    expect(() => resolveClass('gold')).toThrow(/matches \d+ classes/);
  });

  it('searches by words of the name, synonyms or id, best matches first', () => {
    expect(searchClasses('golden re')[0]?.id).toBe(207);
    expect(searchClasses('980')[0]?.id).toBe(980);
    expect(searchClasses('white shark').map((c) => c.id)).toContain(2);
    expect(searchClasses('')).toHaveLength(1000);
  });

  it('takes any query text: regex characters, control characters, emoji and 100 kB of it, quickly', () => {
    const t0 = performance.now();
    for (const q of ['(((', '.*', '[a-', '\\', '\u0000\u202e', '🐕‍🦺', 'golden '.repeat(15_000)]) {
      expect(() => searchClasses(q)).not.toThrow();
      expect(() => resolveClass(q)).toThrow(expect.objectContaining({ code: 'E_BAD_CLASS' }));
    }
    expect(searchClasses('.*')).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
