import { createPrivateKey, randomBytes, type KeyObject } from 'node:crypto'
import { utils, type ParsedKey } from 'ssh2'
import { InputError } from '@django-deploy/shared/errors'
import { fingerprintOf } from './host-keys.js'

/**
 * The deploy key from the `ssh-private-key` input, normalised and checked before any connection:
 * a pasted key often arrives with CRLF line ends, without its final newline, with literal `\n`
 * sequences, or base64-encoded as a whole; and people paste the public half by mistake.
 *
 * OpenSSH (`BEGIN OPENSSH PRIVATE KEY`) and the classic PEM forms (`BEGIN RSA/EC PRIVATE KEY`,
 * encrypted or not) go to ssh2 as they are. PKCS#8 (`BEGIN PRIVATE KEY`, `BEGIN ENCRYPTED PRIVATE
 * KEY`, what `openssl genpkey` writes, and the only PEM form an ed25519 key has) is converted in
 * memory to a form ssh2 reads. Nothing is written to disk.
 */
export const KEY_INPUT = 'ssh-private-key'
export const PASSPHRASE_INPUT = 'ssh-passphrase'

export interface DeployKey {
  /** The key in a form ssh2 parses (unencrypted only if the input was, or was PKCS#8). */
  privateKey: string
  passphrase?: string
  /** 'ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', ... */
  type: string
  /** SHA256 fingerprint of the public half: what `dokku ssh-keys:list` shows. Not a secret. */
  fingerprint: string
  /** Every form of the secret this module derived, for masking (the input itself included). */
  secrets: string[]
}

const PUBLIC_KEY_LINE = /^(ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp\d+|sk-[a-z0-9@.-]+)\s+AAAA/

export function readDeployKey(input: string, passphrase: string | undefined): DeployKey {
  const secrets = [input]
  let text = normalise(input)
  if (text !== input) secrets.push(text)

  if (PUBLIC_KEY_LINE.test(text)) {
    throw new InputError(
      KEY_INPUT,
      'holds a public key, not a private key.',
      "Use the private half (the file without .pub, starting with '-----BEGIN'); the public half is what you add on the server with 'dokku ssh-keys:add'.",
    )
  }
  if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text) && !text.startsWith('PuTTY-User-Key-File-')) {
    throw new InputError(
      KEY_INPUT,
      'is not a private key (no -----BEGIN ... PRIVATE KEY----- line).',
      "Paste the whole key file, e.g. the output of 'cat ~/.ssh/id_ed25519', into a repository secret.",
    )
  }

  if (/-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(text)) {
    text = convertPkcs8(text, passphrase)
    secrets.push(text)
    passphrase = undefined // the converted key is no longer encrypted
  }

  const parsed = utils.parseKey(text, passphrase)
  if (parsed instanceof Error) throw keyError(parsed, passphrase)
  const key = Array.isArray(parsed) ? parsed[0] : parsed
  if (!key) throw new InputError(KEY_INPUT, 'contains no key.')
  checkType(key)
  return { privateKey: text, passphrase, type: key.type, fingerprint: fingerprintOf(key.getPublicSSH()), secrets }
}

function normalise(input: string): string {
  let text = input.trim()
  // A key stored with its newlines escaped ("-----BEGIN...\nb3Bl...").
  if (!text.includes('\n') && text.includes('\\n')) text = text.replace(/\\r\\n|\\n/g, '\n')
  // A key stored base64-encoded as a whole (SSH_PRIVATE_KEY_BASE64 style).
  if (!text.includes('-----BEGIN') && /^[A-Za-z0-9+/=\s]+$/.test(text)) {
    const decoded = Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('utf8')
    if (decoded.includes('-----BEGIN')) text = decoded.trim()
  }
  text = text.replace(/\r\n?/g, '\n')
  // Some secret stores fold the key onto one line with spaces: put the armour back on its own lines.
  const armoured = /^(-----BEGIN [A-Z0-9 ]+-----)\s+([\s\S]+?)\s+(-----END [A-Z0-9 ]+-----)$/.exec(text)
  if (armoured && !text.includes('\n')) {
    const [, begin, body, end] = armoured
    text = `${begin}\n${(body ?? '').replace(/ /g, '\n')}\n${end}`
  }
  return `${text
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')}\n`
}

function checkType(key: ParsedKey): void {
  if (key.type === 'ssh-dss') {
    throw new InputError(
      KEY_INPUT,
      'is a DSA key; DSA is obsolete and refused by current OpenSSH servers.',
      "Create an ed25519 key ('ssh-keygen -t ed25519') and add it with 'dokku ssh-keys:add'.",
    )
  }
  if (!/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521))$/.test(key.type)) {
    throw new InputError(
      KEY_INPUT,
      `is a ${key.type} key; ed25519, RSA and ECDSA keys are supported.`,
      "Create an ed25519 key with 'ssh-keygen -t ed25519'.",
    )
  }
}

function keyError(error: Error, passphrase: string | undefined): InputError {
  const message = error.message
  if (/no passphrase given|encrypted.*passphrase/i.test(message) || (/encrypted/i.test(message) && passphrase === undefined)) {
    return new InputError(
      PASSPHRASE_INPUT,
      'is needed: the private key is encrypted with a passphrase.',
      "Store the passphrase in a secret and pass it as 'ssh-passphrase'.",
    )
  }
  if (passphrase !== undefined && /bad (passphrase|decrypt)|decrypt|integrity|padding|checkint/i.test(message)) {
    return new InputError(
      PASSPHRASE_INPUT,
      'does not decrypt the private key.',
      'Check that the passphrase secret belongs to this key.',
    )
  }
  return new InputError(
    KEY_INPUT,
    `could not be read: ${message}.`,
    'Paste the complete key file (OpenSSH or PEM format), including the BEGIN and END lines.',
  )
}

function convertPkcs8(pem: string, passphrase: string | undefined): string {
  if (pem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----') && passphrase === undefined) {
    throw new InputError(
      PASSPHRASE_INPUT,
      'is needed: the private key is encrypted with a passphrase.',
      "Store the passphrase in a secret and pass it as 'ssh-passphrase'.",
    )
  }
  let key: KeyObject
  try {
    key = createPrivateKey({ key: pem, format: 'pem', passphrase })
  } catch (error) {
    const message = (error as Error).message
    if (/passphrase/i.test(message) && passphrase === undefined) {
      throw new InputError(
        PASSPHRASE_INPUT,
        'is needed: the private key is encrypted with a passphrase.',
        "Store the passphrase in a secret and pass it as 'ssh-passphrase'.",
      )
    }
    if (passphrase !== undefined && /decrypt|passphrase|bad/i.test(message)) {
      throw new InputError(
        PASSPHRASE_INPUT,
        'does not decrypt the private key.',
        'Check that the passphrase secret belongs to this key.',
      )
    }
    throw new InputError(
      KEY_INPUT,
      `could not be read as a PKCS#8 key: ${message}.`,
      'Paste the complete key file, including the BEGIN and END lines.',
    )
  }
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return key.export({ type: 'pkcs1', format: 'pem' }).toString()
    case 'ec':
      return key.export({ type: 'sec1', format: 'pem' }).toString()
    case 'ed25519':
      return ed25519ToOpenSsh(key)
    default:
      throw new InputError(
        KEY_INPUT,
        `is a ${key.asymmetricKeyType ?? 'unknown'} key; ed25519, RSA and ECDSA keys are supported.`,
        "Create an ed25519 key with 'ssh-keygen -t ed25519'.",
      )
  }
}

/** An unencrypted `openssh-key-v1` container for an ed25519 key (the format ssh-keygen writes). */
function ed25519ToOpenSsh(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' })
  const seed = Buffer.from(jwk.d ?? '', 'base64url')
  const pub = Buffer.from(jwk.x ?? '', 'base64url')
  const type = Buffer.from('ssh-ed25519')
  const publicBlob = concat([sshString(type), sshString(pub)])
  const check = randomBytes(4)
  let privateSection = concat([
    check,
    check,
    sshString(type),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(Buffer.alloc(0)),
  ])
  const padding: number[] = []
  for (let i = 1; (privateSection.length + padding.length) % 8 !== 0; i++) padding.push(i)
  privateSection = Buffer.concat([privateSection, Buffer.from(padding)])
  const none = Buffer.from('none')
  const body = concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString(none),
    sshString(none),
    sshString(Buffer.alloc(0)),
    uint32(1),
    sshString(publicBlob),
    sshString(privateSection),
  ])
  const base64 = body
    .toString('base64')
    .replace(/(.{70})/g, '$1\n')
    .replace(/\n$/, '')
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${base64}\n-----END OPENSSH PRIVATE KEY-----\n`
}

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4)
  buffer.writeUInt32BE(value)
  return buffer
}

function sshString(data: Buffer): Buffer {
  return Buffer.concat([uint32(data.length), data])
}

function concat(parts: Buffer[]): Buffer {
  return Buffer.concat(parts)
}
