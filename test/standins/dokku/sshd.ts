import path from 'node:path'

/**
 * The stand-in's sshd_config. `stock` is OpenSSH as Debian ships it (/etc/ssh/sshd_config plus the
 * compiled-in defaults of `man sshd_config`): nothing that makes the server kinder than a real one.
 * What differs is only where things are (port, host keys, authorized_keys, no pid file), who may log
 * in (only the test user, keys only), and more logging. The hardened profiles lower MaxSessions, the
 * sessions (channels) one connection may have open at once, as hardening guides recommend.
 */
export type SshdProfile = 'stock' | 'max-sessions-2' | 'max-sessions-1'

export const MAX_SESSIONS: Record<SshdProfile, number> = {
  // OpenSSH's default.
  stock: 10,
  'max-sessions-2': 2,
  'max-sessions-1': 1,
}

export interface SshdConfigOptions {
  port: number
  ipv6: boolean
  /** The directory with the host keys and authorized_keys. */
  sshDir: string
  /** The dokku user's home (DOKKU_ROOT). */
  home: string
  user: string
  profile: SshdProfile
}

export function sshdConfig(options: SshdConfigOptions): string {
  const { sshDir } = options
  const asRoot = process.getuid?.() === 0
  return [
    `Port ${options.port}`,
    'ListenAddress 127.0.0.1',
    ...(options.ipv6 ? ['ListenAddress ::1'] : []),
    ...['ed25519', 'ecdsa', 'rsa'].map((type) => `HostKey ${path.join(sshDir, `ssh_host_${type}_key`)}`),
    'PidFile none',
    `AuthorizedKeysFile ${path.join(sshDir, 'authorized_keys')}`,
    // Stricter than stock: keys only, only the test user.
    'PasswordAuthentication no',
    `AllowUsers ${options.user}`,
    // Debian's shipped sshd_config.
    'KbdInteractiveAuthentication no',
    // PAM needs root; an unprivileged sshd (a developer's machine) cannot use it.
    `UsePAM ${asRoot ? 'yes' : 'no'}`,
    'X11Forwarding yes',
    'PrintMotd no',
    'AcceptEnv LANG LC_*',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    // The key file lives in a temporary directory (under the world-writable /tmp), which StrictModes
    // refuses whatever the file's own mode; on a server it is ~dokku/.ssh/authorized_keys. This does
    // not change what a client sees.
    'StrictModes no',
    // The dokku user's home is DOKKU_ROOT. It also keeps bash (run by sshd for the forced command)
    // from sourcing the real user's ~/.bashrc, which on a developer machine can take a second.
    `SetEnv HOME=${options.home}`,
    `MaxSessions ${MAX_SESSIONS[options.profile]}`,
    'LogLevel VERBOSE',
    '',
  ].join('\n')
}
