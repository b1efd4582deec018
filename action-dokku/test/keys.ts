import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

/** Real keys from ssh-keygen / openssl for tests (never committed, made per run). */
export interface GeneratedKey {
  privateKey: string
  publicKey: string
  /** `SHA256:…` as ssh-keygen prints it. */
  fingerprint: string
}

export function sshKeygen(
  type: 'ed25519' | 'rsa' | 'ecdsa',
  options: { passphrase?: string; format?: 'openssh' | 'pem'; bits?: number } = {},
): GeneratedKey {
  const dir = mkdtempSync(path.join(tmpdir(), 'keygen-'))
  try {
    const file = path.join(dir, 'key')
    const args = ['-q', '-t', type, '-N', options.passphrase ?? '', '-C', 'test@example', '-f', file]
    if (options.format === 'pem') args.push('-m', 'PEM')
    if (options.bits) args.push('-b', String(options.bits))
    execFileSync('ssh-keygen', args)
    const fingerprint =
      execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1] ?? ''
    return { privateKey: readFileSync(file, 'utf8'), publicKey: readFileSync(`${file}.pub`, 'utf8').trim(), fingerprint }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A PKCS#8 key as `openssl genpkey` writes it (optionally encrypted). */
export function opensslKey(algorithm: 'ed25519' | 'rsa' | 'ec', passphrase?: string): string {
  const args = ['genpkey']
  if (algorithm === 'ed25519') args.push('-algorithm', 'ed25519')
  if (algorithm === 'rsa') args.push('-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048')
  if (algorithm === 'ec') args.push('-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256')
  if (passphrase) args.push('-aes-256-cbc', '-pass', `pass:${passphrase}`)
  return execFileSync('openssl', args, { encoding: 'utf8' })
}

/** The fingerprint ssh-keygen computes for a private key file's public half. */
export function fingerprintOfPrivate(privateKey: string, passphrase = ''): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'keygen-'))
  try {
    const file = path.join(dir, 'key')
    execFileSync('sh', ['-c', 'umask 077; cat > "$1"', 'sh', file], { input: privateKey })
    const pub = execFileSync('ssh-keygen', ['-y', '-P', passphrase, '-f', file], { encoding: 'utf8' })
    return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', '-'], { input: pub, encoding: 'utf8' }).split(' ')[1] ?? ''
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
