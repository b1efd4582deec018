import { isIP } from 'node:net'
import { InputError } from '@django-deploy/shared/errors'

/**
 * Where to connect: the `host`, `port` and `user` inputs. `host` may be a name, an IPv4 or IPv6
 * address (bare or in brackets), `name:port`, `[v6]:port`, `user@host`, or an `ssh://user@host:port`
 * URL (the official action's `git_remote_url`, whose path may name the app).
 *
 * A value given inside `host` wins over the separate `port`/`user` inputs when those are left at
 * their defaults; two different explicit values are an error rather than a guess.
 */
export interface SshTarget {
  /** Host name or IP address, without brackets (what the socket connects to). */
  host: string
  port: number
  user: string
  /** The app named in an ssh:// URL path, if any. */
  urlApp?: string
}

const DEFAULT_PORT = 22
const DEFAULT_USER = 'dokku'

export interface TargetInputs {
  host: string
  /** The `port` input as given ('' when unset). */
  port: string
  /** The `user` input as given ('' when unset). */
  user: string
}

export function parseTarget(inputs: TargetInputs): SshTarget {
  const raw = inputs.host.trim()
  if (raw === '')
    throw new InputError('host', 'is required.', 'Set it to your Dokku server: a name, an IP address, or ssh://dokku@host:port.')
  if (/\s/.test(raw)) throw new InputError('host', `must not contain spaces: '${raw}'.`)
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) && !/^ssh:\/\//i.test(raw)) {
    throw new InputError(
      'host',
      `'${raw}' is a ${raw.split(':')[0]} URL; Dokku is reached over SSH.`,
      'Use the bare host name (dokku.example.com) or an ssh://dokku@host:port URL.',
    )
  }

  let host: string
  let port: number | undefined
  let user: string | undefined
  let urlApp: string | undefined

  if (/^ssh:\/\//i.test(raw)) {
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      throw new InputError(
        'host',
        `'${raw}' is not a valid ssh:// URL.`,
        'Write it as ssh://dokku@host:port (IPv6 addresses in brackets: ssh://dokku@[2001:db8::1]:22).',
      )
    }
    if (url.password)
      throw new InputError('host', 'must not contain a password.', 'Dokku authenticates with the ssh-private-key input only.')
    host = url.hostname.replace(/^\[|\]$/g, '')
    port = url.port === '' ? undefined : Number(url.port)
    user = url.username === '' ? undefined : decodeURIComponent(url.username)
    const path = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '')
    if (path !== '') urlApp = path
  } else {
    let rest = raw
    const at = rest.lastIndexOf('@')
    if (at >= 0) {
      user = rest.slice(0, at)
      rest = rest.slice(at + 1)
    }
    const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(rest)
    if (bracketed) {
      host = bracketed[1] ?? ''
      if (bracketed[2] !== undefined) port = parsePort(bracketed[2], 'host')
    } else if (isIP(rest) === 6 || isIPv6WithZone(rest)) {
      host = rest
    } else if (rest.includes(':')) {
      const [name, portText, ...extra] = rest.split(':')
      if (extra.length > 0 || !/^\d+$/.test(portText ?? '')) {
        throw new InputError(
          'host',
          `'${raw}' looks like a git remote (host:app); the app goes in the 'app' input.`,
          "Set host to the server only (dokku.example.com or ssh://dokku@host:port) and 'app' to the app name.",
        )
      }
      host = name ?? ''
      port = parsePort(portText ?? '', 'host')
    } else {
      host = rest
    }
  }

  checkHostName(host, raw)

  const portInput = inputs.port.trim()
  const explicitPort = portInput === '' ? undefined : parsePort(portInput, 'port')
  if (port !== undefined && explicitPort !== undefined && explicitPort !== DEFAULT_PORT && explicitPort !== port) {
    throw new InputError('port', `is ${explicitPort} but host '${raw}' says port ${port}.`, 'Give the port in one place only.')
  }
  const finalPort = port ?? explicitPort ?? DEFAULT_PORT

  const userInput = inputs.user.trim()
  if (user !== undefined && userInput !== '' && userInput !== DEFAULT_USER && userInput !== user) {
    throw new InputError('user', `is '${userInput}' but host '${raw}' says '${user}'.`, 'Give the user in one place only.')
  }
  const finalUser = user ?? (userInput === '' ? DEFAULT_USER : userInput)
  if (!/^[A-Za-z0-9._][A-Za-z0-9._-]*$/.test(finalUser)) {
    throw new InputError('user', `'${finalUser}' is not a valid user name.`, "Dokku's SSH user is 'dokku'.")
  }
  return { host, port: finalPort, user: finalUser, urlApp }
}

function parsePort(text: string, input: string): number {
  if (!/^\d+$/.test(text))
    throw new InputError(input, `'${text}' is not a port number.`, 'Ports are whole numbers from 1 to 65535; SSH uses 22.')
  const port = Number(text)
  if (port < 1 || port > 65535)
    throw new InputError(input, `port ${port} is out of range.`, 'Ports are whole numbers from 1 to 65535; SSH uses 22.')
  return port
}

function isIPv6WithZone(text: string): boolean {
  const percent = text.indexOf('%')
  return percent > 0 && isIP(text.slice(0, percent)) === 6 && /^[A-Za-z0-9_.-]+$/.test(text.slice(percent + 1))
}

function checkHostName(host: string, raw: string): void {
  if (host === '') throw new InputError('host', `'${raw}' has no host name.`)
  if (isIP(host) !== 0 || isIPv6WithZone(host)) return
  const labels = host.replace(/\.$/, '').split('.')
  const valid = host.length <= 253 && labels.every((label) => /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(label))
  if (!valid) {
    throw new InputError(
      'host',
      `'${host}' is not a valid host name or IP address.`,
      'Use a DNS name (dokku.example.com), an IPv4 address, an IPv6 address, or ssh://dokku@host:port.',
    )
  }
}

/** host:port as people write it, brackets around IPv6. */
export function displayTarget(target: SshTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host
  return target.port === DEFAULT_PORT ? host : `${host}:${target.port}`
}
