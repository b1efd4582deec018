/**
 * gcloud suggests a flag for a mistyped one with Python's `difflib.get_close_matches(arg, choices,
 * 1)` (cutoff 0.6, calliope/usage_text.py TextChoiceSuggester). This is the same algorithm
 * (Ratcliff/Obershelp "gestalt" matching, as SequenceMatcher does it without junk heuristics,
 * which only apply to strings of 200+ characters), so the stand-in suggests what gcloud suggests.
 */
export function closeMatch(word: string, choices: readonly string[], cutoff = 0.6): string | undefined {
  let best: { score: number; choice: string } | undefined
  for (const choice of choices) {
    const score = ratio(choice, word)
    if (score < cutoff) continue
    // nlargest((score, x)) breaks ties on the larger string.
    if (!best || score > best.score || (score === best.score && choice > best.choice)) best = { score, choice }
  }
  return best?.choice
}

/** SequenceMatcher(None, a, b).ratio() */
export function ratio(a: string, b: string): number {
  const total = a.length + b.length
  return total === 0 ? 1 : (2 * matchingCharacters(a, 0, a.length, b, 0, b.length)) / total
}

function matchingCharacters(a: string, alo: number, ahi: number, b: string, blo: number, bhi: number): number {
  const [i, j, size] = longestMatch(a, alo, ahi, b, blo, bhi)
  if (size === 0) return 0
  return size + matchingCharacters(a, alo, i, b, blo, j) + matchingCharacters(a, i + size, ahi, b, j + size, bhi)
}

/** The longest common block, earliest in `a`, then earliest in `b` (find_longest_match). */
function longestMatch(a: string, alo: number, ahi: number, b: string, blo: number, bhi: number): [number, number, number] {
  let besti = alo
  let bestj = blo
  let bestsize = 0
  let lengths = new Map<number, number>()
  for (let i = alo; i < ahi; i++) {
    const next = new Map<number, number>()
    for (let j = blo; j < bhi; j++) {
      if (a[i] !== b[j]) continue
      const k = (lengths.get(j - 1) ?? 0) + 1
      next.set(j, k)
      if (k > bestsize) {
        besti = i - k + 1
        bestj = j - k + 1
        bestsize = k
      }
    }
    lengths = next
  }
  return [besti, bestj, bestsize]
}
