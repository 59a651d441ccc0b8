import { describe, expect, it } from 'vitest';
import { corpusWordErrors, normalizeWords, wordErrors } from '../src/speech/word-error-rate.js';
import { joinHypothesisLines } from '../src/speech/pocketsphinx-cli.js';

describe('word error rate', () => {
  it('normalises case, punctuation and spacing, keeping in-word apostrophes', () => {
    expect(normalizeWords("  Don't  STOP, 'now'... ok?\n")).toEqual(["don't", 'stop', 'now', 'ok']);
    expect(normalizeWords('')).toEqual([]);
  });

  it('counts substitutions, deletions and insertions (known answers)', () => {
    expect(wordErrors('the cat sat on the mat', 'the cat sat on the mat')).toMatchObject({ errors: 0, wer: 0, referenceWords: 6 });
    expect(wordErrors('the cat sat on the mat', 'the bat sat on the mat')).toMatchObject({ substitutions: 1, deletions: 0, insertions: 0 });
    expect(wordErrors('the cat sat on the mat', 'the cat on the mat')).toMatchObject({ substitutions: 0, deletions: 1, insertions: 0 });
    expect(wordErrors('the cat sat on the mat', 'the cat sat down on the mat')).toMatchObject({ substitutions: 0, deletions: 0, insertions: 1 });
    // please→police (S), me (D), at (I): the only 3-edit alignment
    const e = wordErrors('please call me back tomorrow', 'police call back tomorrow at');
    expect(e).toMatchObject({ substitutions: 1, deletions: 1, insertions: 1, errors: 3, referenceWords: 5 });
    expect(e.wer).toBe(0.6);
    expect(wordErrors('a b c', '').wer).toBe(1);
    expect(wordErrors('', 'a').wer).toBe(Infinity);
    expect(wordErrors('', '').wer).toBe(0);
  });

  it('the error count is the Levenshtein distance (checked against a plain recursive definition)', () => {
    const lev = (a: string[], b: string[]): number => {
      const memo = new Map<string, number>();
      const go = (i: number, j: number): number => {
        if (i === 0) return j;
        if (j === 0) return i;
        const key = `${i},${j}`;
        const hit = memo.get(key);
        if (hit !== undefined) return hit;
        const v = Math.min(go(i - 1, j) + 1, go(i, j - 1) + 1, go(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
        memo.set(key, v);
        return v;
      };
      return go(a.length, b.length);
    };
    const words = ['a', 'b', 'c', 'd'];
    let seed = 3;
    const pick = (n: number): string[] =>
      Array.from({ length: n }, () => {
        seed = (seed * 1_103_515_245 + 12_345) >>> 0;
        return words[seed % words.length]!;
      });
    for (let t = 0; t < 200; t++) {
      const ref = pick(t % 9);
      const hyp = pick((t * 7) % 10);
      const e = wordErrors(ref.join(' '), hyp.join(' '));
      expect(e.errors).toBe(lev(ref, hyp));
      expect(e.substitutions + e.deletions + e.insertions).toBe(e.errors);
      expect(e.deletions - e.insertions).toBe(ref.length - hyp.length);
    }
  });

  it('corpus WER is total errors over total words', () => {
    const c = corpusWordErrors([
      { reference: 'one two three four', hypothesis: 'one two three four' },
      { reference: 'five six', hypothesis: 'five' },
    ]);
    expect(c).toMatchObject({ errors: 1, referenceWords: 6 });
    expect(c.wer).toBeCloseTo(1 / 6, 12);
  });

  it('joins the recognizer output lines (one per utterance) with single spaces', () => {
    expect(joinHypothesisLines('turn off the lights\n\n  in the kitchen \n')).toBe('turn off the lights in the kitchen');
    expect(joinHypothesisLines('')).toBe('');
  });
});
