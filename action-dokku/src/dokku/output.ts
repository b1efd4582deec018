/**
 * Reading what Dokku prints. Errors are ` !     <message>` lines on stderr (dokku_log_fail,
 * LogFailWithError); git relays hook output as `remote: …` lines padded with spaces, sometimes with
 * `\e[1G\e[K` (cursor to column 1, clear line) in front.
 */
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g

export function cleanLine(line: string): string {
  return line.replace(ANSI, '').replace(/\r/g, '').replace(/\s+$/, '')
}

/** The lines of some output, ANSI codes and trailing spaces removed, blank lines kept out. */
export function lines(text: string): string[] {
  return text
    .split('\n')
    .map(cleanLine)
    .filter((line) => line !== '')
}

/** The messages of ` !     ` lines, in order. */
export function dokkuErrors(text: string): string[] {
  return lines(text)
    .map((line) => line.replace(/^remote:\s?/, ''))
    .filter((line) => /^ ?! {2,}\S/.test(line))
    .map((line) => line.replace(/^ ?! +/, ''))
}

/** True when Dokku said the command does not exist (the plugin that provides it is not installed). */
export function notACommand(text: string): boolean {
  return /`[^`]*` is not a dokku command\./.test(text)
}
