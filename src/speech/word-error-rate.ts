/**
 * Word error rate: the word-level Levenshtein distance between a reference transcript and a
 * recognizer's hypothesis (substitutions + deletions + insertions), divided by the number of
 * reference words. Words are compared after normalisation: lower case, punctuation other than
 * in-word apostrophes removed, runs of white space collapsed.
 */
export interface WordErrors {
  readonly substitutions: number;
  readonly deletions: number;
  readonly insertions: number;
  /** substitutions + deletions + insertions. */
  readonly errors: number;
  readonly referenceWords: number;
  /** errors / referenceWords (0 when both are empty; Infinity for words against an empty reference). */
  readonly wer: number;
}

export function normalizeWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}'\s]+/gu, ' ')
    .replace(/(^|\s)'+|'+(?=\s|$)/g, '$1')
    .split(/\s+/)
    .filter((w) => w.length > 0);
}

function rate(errors: number, words: number): number {
  if (words > 0) return errors / words;
  return errors === 0 ? 0 : Infinity;
}

/** Minimum-edit alignment of two word lists; among equally short edits, counts come from one of them. */
export function wordErrors(reference: string, hypothesis: string): WordErrors {
  const ref = normalizeWords(reference);
  const hyp = normalizeWords(hypothesis);
  const cols = hyp.length + 1;
  // cost[i][j] for ref[0..i) against hyp[0..j), with the edit counts that reach it.
  const cost = new Uint32Array((ref.length + 1) * cols);
  const subs = new Uint32Array(cost.length);
  const dels = new Uint32Array(cost.length);
  const ins = new Uint32Array(cost.length);
  for (let j = 1; j < cols; j++) {
    cost[j] = j;
    ins[j] = j;
  }
  for (let i = 1; i <= ref.length; i++) {
    const row = i * cols;
    cost[row] = i;
    dels[row] = i;
    for (let j = 1; j < cols; j++) {
      const diag = row - cols + j - 1;
      const up = row - cols + j; // delete ref[i-1]
      const left = row + j - 1; // insert hyp[j-1]
      const same = ref[i - 1] === hyp[j - 1];
      const viaDiag = cost[diag]! + (same ? 0 : 1);
      const viaUp = cost[up]! + 1;
      const viaLeft = cost[left]! + 1;
      const at = row + j;
      if (viaDiag <= viaUp && viaDiag <= viaLeft) {
        cost[at] = viaDiag;
        subs[at] = subs[diag]! + (same ? 0 : 1);
        dels[at] = dels[diag]!;
        ins[at] = ins[diag]!;
      } else if (viaUp <= viaLeft) {
        cost[at] = viaUp;
        subs[at] = subs[up]!;
        dels[at] = dels[up]! + 1;
        ins[at] = ins[up]!;
      } else {
        cost[at] = viaLeft;
        subs[at] = subs[left]!;
        dels[at] = dels[left]!;
        ins[at] = ins[left]! + 1;
      }
    }
  }
  const end = cost.length - 1;
  const errors = cost[end]!;
  return { substitutions: subs[end]!, deletions: dels[end]!, insertions: ins[end]!, errors, referenceWords: ref.length, wer: rate(errors, ref.length) };
}

/** Corpus WER: total errors over total reference words (not the mean of per-utterance rates). */
export function corpusWordErrors(pairs: Iterable<{ readonly reference: string; readonly hypothesis: string }>): WordErrors {
  let substitutions = 0, deletions = 0, insertions = 0, referenceWords = 0; // prettier-ignore
  for (const { reference, hypothesis } of pairs) {
    const e = wordErrors(reference, hypothesis);
    substitutions += e.substitutions;
    deletions += e.deletions;
    insertions += e.insertions;
    referenceWords += e.referenceWords;
  }
  const errors = substitutions + deletions + insertions;
  return { substitutions, deletions, insertions, errors, referenceWords, wer: rate(errors, referenceWords) };
}
