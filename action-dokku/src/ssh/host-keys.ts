import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { InputError } from '@django-deploy/shared/errors'

/**
 * Host-key pinning: the `ssh-host-key` input parsed into keys (or fingerprints) the server must
 * present, and the check run on the key the server actually presents during the handshake.
 *
 * Accepted, one per line (blank lines and `#` comments skipped):
 *  - known_hosts lines, plain (`dokku.example.com,203.0.113.7 ssh-ed25519 AAAA…`) or hashed
 *    (`|1|salt|hmac ssh-ed25519 AAAA…`), including the `[host]:port` form and `@revoked` lines;
 *  - a bare public key (`ssh-ed25519 AAAA… root@server`, the server's /etc/ssh/ssh_host_*.pub);
 *  - a fingerprint `SHA256:…` as `ssh-keygen -lf` prints it (the whole `256 SHA256:… host (ED25519)`
 *    line works too, and then also says the key type).
 *
 * There is no trust-on-first-use: with no pin the connection is refused unless the user opts in
 * to `insecure-skip-host-key-check`, and then we print exactly what to pin.
 */
export const HOST_KEY_INPUT = 'ssh-host-key'

/** Key types we can verify, mapped to the host-key algorithms that negotiate them. */
const ALGORITHMS_BY_KEY_TYPE: Record<string, readonly string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
}

/** Fingerprint output of `ssh-keygen -l` names the type in parentheses. */
const TYPE_BY_KEYGEN_NAME: Record<string, string> = {
  ED25519: 'ssh-ed25519',
  RSA: 'ssh-rsa',
  'ECDSA-256': 'ecdsa-sha2-nistp256',
  'ECDSA-384': 'ecdsa-sha2-nistp384',
  'ECDSA-521': 'ecdsa-sha2-nistp521',
}

export interface KeyPin {
  kind: 'key'
  keyType: string
  blob: Buffer
  /** Line number in the input, for messages. */
  line: number
}

export interface FingerprintPin {
  kind: 'fingerprint'
  /** The 32 raw bytes of the SHA-256 digest. */
  digest: Buffer
  keyType?: string
  line: number
}

export type HostKeyPin = KeyPin | FingerprintPin

export interface HostKeyPolicy {
  /** Keys the server may present (any one of them). Empty only in insecure mode. */
  pins: HostKeyPin[]
  /** `@revoked` keys: refused even in insecure mode. */
  revoked: Buffer[]
  insecure: boolean
}

/** The key a server presented, in the forms people compare and pin. */
export interface PresentedKey {
  keyType: string
  blob: Buffer
  /** `SHA256:…` as OpenSSH prints it. */
  fingerprint: string
}

/** `SHA256:` + unpadded base64 of the key blob's SHA-256, exactly as `ssh-keygen -l` prints it. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

/** The key type written inside an SSH public key blob (its first length-prefixed string). */
export function keyTypeOf(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined
  const length = blob.readUInt32BE(0)
  if (length === 0 || length > 64 || blob.length < 4 + length) return undefined
  return blob.subarray(4, 4 + length).toString('latin1')
}

export function describeKey(blob: Buffer): PresentedKey {
  return { keyType: keyTypeOf(blob) ?? 'unknown', blob, fingerprint: fingerprintOf(blob) }
}

/** The name known_hosts uses for a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  const name = host.toLowerCase()
  return port === 22 ? name : `[${name}]:${port}`
}

/** The exact `ssh-host-key` value that pins `key` for `host:port`, for the insecure mode's hint. */
export function pinLineFor(key: PresentedKey, host: string, port: number): string {
  return `${knownHostsName(host, port)} ${key.keyType} ${key.blob.toString('base64')}`
}

/**
 * Parse the input for `host:port`. Lines for other hosts are ignored (a whole known_hosts file may
 * be pasted), but if no line is for this host at all that is an input error: a pin that can never
 * apply is a mistake, not a policy.
 */
export function parseHostKeys(text: string, host: string, port: number, insecure: boolean): HostKeyPolicy {
  const pins: HostKeyPin[] = []
  const revoked: Buffer[] = []
  const otherHosts: string[] = []
  const name = knownHostsName(host, port)
  const lines = text.replace(/\r\n?/g, '\n').split('\n')

  lines.forEach((raw, index) => {
    const line = raw.trim()
    const number = index + 1
    if (line === '' || line.startsWith('#')) return

    const fingerprint = parseFingerprintLine(line, number)
    if (fingerprint) {
      pins.push(fingerprint)
      return
    }

    const fields = line.split(/\s+/)
    let marker: string | undefined
    if (fields[0]?.startsWith('@')) marker = fields.shift()
    if (marker === '@cert-authority') {
      throw new InputError(
        HOST_KEY_INPUT,
        `line ${number} is a @cert-authority line; host certificates are not supported.`,
        "Pin the server's own host key instead: run 'ssh-keyscan HOST' and use its output.",
      )
    }
    if (marker !== undefined && marker !== '@revoked') {
      throw new InputError(
        HOST_KEY_INPUT,
        `line ${number} starts with the unknown marker '${marker}'.`,
        'known_hosts lines may start with @revoked; anything else is not a host key line.',
      )
    }

    // A bare public key (`type base64 [comment]`) pins for whatever host this is.
    const bare = ALGORITHMS_BY_KEY_TYPE[fields[0] ?? ''] !== undefined || fields[0] === 'ssh-dss'
    const patterns = bare ? undefined : fields.shift()
    const keyType = fields[0]
    const base64 = fields[1]
    if (keyType === undefined || base64 === undefined || !/^(ssh-|ecdsa-|sk-)/.test(keyType)) {
      throw new InputError(
        HOST_KEY_INPUT,
        `line ${number} is neither a known_hosts line nor a SHA256 fingerprint: '${preview(line)}'.`,
        hostKeyHint(host, port),
      )
    }
    if (ALGORITHMS_BY_KEY_TYPE[keyType] === undefined) {
      const why =
        keyType === 'ssh-dss'
          ? 'DSA host keys are obsolete and not accepted'
          : `'${keyType}' is not a host key type we can verify`
      throw new InputError(
        HOST_KEY_INPUT,
        `line ${number}: ${why}.`,
        'Pin an ed25519, ECDSA or RSA host key of the server (ssh-keyscan -t ed25519 HOST).',
      )
    }
    const blob = decodeKey(base64, keyType, number)

    if (patterns !== undefined && !hostMatches(patterns, name)) {
      if (marker === undefined) otherHosts.push(patterns.startsWith('|1|') ? '(a hashed name)' : patterns)
      return
    }
    if (marker === '@revoked') revoked.push(blob)
    else pins.push({ kind: 'key', keyType, blob, line: number })
  })

  if (pins.length === 0 && !insecure) {
    if (otherHosts.length > 0) {
      throw new InputError(
        HOST_KEY_INPUT,
        `none of its lines is for ${name}; they are for ${[...new Set(otherHosts)].join(', ')}.`,
        `known_hosts lines name the host as it is dialled, with the port when it is not 22. ${hostKeyHint(host, port)}`,
      )
    }
    throw new InputError(
      HOST_KEY_INPUT,
      'is required: without it nothing proves the server is yours.',
      `${hostKeyHint(host, port)} Or, once, set insecure-skip-host-key-check: true and copy the value it prints.`,
    )
  }
  return { pins, revoked, insecure }
}

function hostKeyHint(host: string, port: number): string {
  const keyscan = `ssh-keyscan ${port === 22 ? '' : `-p ${port} `}${host}`
  return `Run '${keyscan}' from a machine you trust and paste its output (or 'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub' on the server for a fingerprint). It is the server's key, not your deploy key.`
}

function preview(line: string): string {
  return line.length > 40 ? `${line.slice(0, 40)}…` : line
}

function parseFingerprintLine(line: string, number: number): FingerprintPin | undefined {
  // `SHA256:xyz` alone, or `256 SHA256:xyz comment (ED25519)` from ssh-keygen -l.
  const match = /^(?:\d+\s+)?SHA256:([A-Za-z0-9+/]+=*)(?:\s+.*?)?(?:\s+\(([A-Z0-9-]+)\))?\s*$/.exec(line)
  if (!match) {
    if (/^(?:\d+\s+)?(MD5:|[0-9a-f]{2}(:[0-9a-f]{2}){15}\b)/i.test(line)) {
      throw new InputError(
        HOST_KEY_INPUT,
        `line ${number} is an MD5 fingerprint; only SHA256 fingerprints are accepted.`,
        "Print the SHA256 one with 'ssh-keygen -l -E sha256 -f <key.pub>'.",
      )
    }
    return undefined
  }
  const digest = Buffer.from(match[1] ?? '', 'base64')
  if (digest.length !== 32) {
    throw new InputError(
      HOST_KEY_INPUT,
      `line ${number}: 'SHA256:${match[1]}' is not a complete SHA256 fingerprint (43 base64 characters).`,
      'Copy the fingerprint in full, as ssh-keygen -l prints it.',
    )
  }
  const keyType = match[2] ? TYPE_BY_KEYGEN_NAME[match[2]] : undefined
  return { kind: 'fingerprint', digest, keyType, line: number }
}

function decodeKey(base64: string, keyType: string, number: number): Buffer {
  const blob = /^[A-Za-z0-9+/]+=*$/.test(base64) ? Buffer.from(base64, 'base64') : Buffer.alloc(0)
  if (keyTypeOf(blob) !== keyType) {
    throw new InputError(
      HOST_KEY_INPUT,
      `line ${number}: the ${keyType} key data is damaged or is not a ${keyType} key.`,
      'Copy the line in full, without line breaks inside the key.',
    )
  }
  return blob
}

/** OpenSSH host pattern matching: comma lists, `*`/`?` wildcards, `!` negation, hashed names. */
export function hostMatches(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) return hashedMatches(patterns, name)
  let matched = false
  for (const pattern of patterns.split(',')) {
    const negated = pattern.startsWith('!')
    const body = (negated ? pattern.slice(1) : pattern).toLowerCase()
    if (!wildcardMatch(body, name)) continue
    if (negated) return false
    matched = true
  }
  return matched
}

function hashedMatches(entry: string, name: string): boolean {
  const [, , salt, hash] = entry.split('|')
  if (!salt || !hash) return false
  const expected = Buffer.from(hash, 'base64')
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest()
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

function wildcardMatch(pattern: string, text: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  )
  return regex.test(text)
}

/** Host-key algorithms to offer, so the server presents a key type we have a pin for. */
export function algorithmsFor(policy: HostKeyPolicy, exclude: ReadonlySet<string> = new Set()): string[] {
  const all = Object.keys(ALGORITHMS_BY_KEY_TYPE)
  const typed = policy.pins.map((pin) => pin.keyType)
  // A fingerprint without a type, or insecure mode, can be any type: offer every one.
  const types = policy.insecure || typed.some((type) => type === undefined) ? all : (typed as string[])
  const ordered = [...new Set(types)].filter((type) => !exclude.has(type))
  return ordered.flatMap((type) => ALGORITHMS_BY_KEY_TYPE[type] ?? [])
}

export type Verdict =
  { ok: true; key: PresentedKey; pinned: boolean } | { ok: false; key: PresentedKey; reason: 'revoked' | 'mismatch' }

/** Decide on the key a server presented. Comparisons are constant-time. */
export function verifyHostKey(policy: HostKeyPolicy, blob: Buffer): Verdict {
  const key = describeKey(blob)
  if (policy.revoked.some((entry) => sameBytes(entry, blob))) return { ok: false, key, reason: 'revoked' }
  const digest = createHash('sha256').update(blob).digest()
  let matched = false
  // No early exit: every pin is compared, so timing says nothing about which one matched.
  for (const pin of policy.pins) {
    const equal = pin.kind === 'key' ? sameBytes(pin.blob, blob) : sameBytes(pin.digest, digest)
    matched = equal || matched
  }
  if (matched) return { ok: true, key, pinned: true }
  if (policy.insecure && policy.pins.length === 0) return { ok: true, key, pinned: false }
  return { ok: false, key, reason: 'mismatch' }
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) {
    // Still do a comparison of equal cost, so a length difference is not faster to learn.
    timingSafeEqual(a, a)
    return false
  }
  return timingSafeEqual(a, b)
}

/** Fingerprints of the pins, for error messages (never secret: they are public keys). */
export function describePins(policy: HostKeyPolicy): string[] {
  return policy.pins.map((pin) =>
    pin.kind === 'key'
      ? `${fingerprintOf(pin.blob)} (${pin.keyType}, line ${pin.line})`
      : `SHA256:${pin.digest.toString('base64').replace(/=+$/, '')} (line ${pin.line})`,
  )
}
