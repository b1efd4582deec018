/**
 * Splitting one line of text into words the way a POSIX shell does, minus everything that makes
 * a shell dangerous: quotes group and backslashes escape, but nothing is expanded (`$HOME`, `*`,
 * `~` and backticks stay literal). Used for inputs that hold a command line: action-dokku's
 * `post-deploy` lines and action-cloudrun's extra `flags`.
 */
export class UnbalancedQuoteError extends Error {
  constructor(readonly quote: '"' | "'") {
    super(`unbalanced ${quote === '"' ? 'double' : 'single'} quote`)
    this.name = 'UnbalancedQuoteError'
  }
}

export function splitShellWords(line: string): string[] {
  const words: string[] = []
  let current = ''
  let inWord = false
  let quote: '"' | "'" | undefined
  for (let i = 0; i < line.length; i++) {
    const char = line[i] as string
    if (quote === "'") {
      if (char === "'") quote = undefined
      else current += char
      continue
    }
    if (quote === '"') {
      // Inside double quotes a backslash escapes only what the shell lets it escape.
      if (char === '"') quote = undefined
      else if (char === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1] as string)) current += line[++i]
      else current += char
      continue
    }
    if (char === "'" || char === '"') {
      quote = char
      inWord = true
    } else if (char === '\\' && i + 1 < line.length) {
      current += line[++i]
      inWord = true
    } else if (/\s/.test(char)) {
      if (inWord) words.push(current)
      current = ''
      inWord = false
    } else {
      current += char
      inWord = true
    }
  }
  if (quote) throw new UnbalancedQuoteError(quote)
  if (inWord) words.push(current)
  return words
}
