/** storage:* (plugins/storage): ensure-directory under $DOKKU_LIB_ROOT/data/storage, legacy host:container mounts, list. */
import { chownSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { NotImplemented, verifyApp } from './apps.js'
import { parseFlags } from './flags.js'
import { fail, info1, info1Quiet, log, quiet, verbose, verboseQuiet } from './output.js'
import { storageRoot, updateApp } from './state.js'

const CHOWN_IDS: Record<string, string> = {
  herokuish: '32767',
  heroku: '1000',
  paketo: '2000',
  packeto: '2000',
  root: '0',
  false: 'false',
}

export async function storageCommand(command: string, args: string[]): Promise<void> {
  switch (command) {
    case 'storage:ensure-directory': {
      const { flags, positional } = parseFlags(command, args, { string: ['chown'] })
      const directory = positional[0] ?? ''
      if (directory === '') fail('Please specify a directory to create')
      if (!/^[A-Za-z0-9_-]+$/.test(directory)) fail('Directory can only contain the following set of characters: [A-Za-z0-9_-]')
      const chown = (flags.chown as string | undefined) ?? 'herokuish'
      const id = CHOWN_IDS[chown] ?? (/^\d+$/.test(chown) && Number(chown) < 65536 ? chown : undefined)
      if (id === undefined) fail('Unsupported chown permissions')
      const target = path.join(storageRoot(), directory)
      info1(`Ensuring ${target} exists`)
      mkdirSync(target, { recursive: true, mode: 0o755 })
      if (id !== 'false') {
        verboseQuiet(`Setting directory ownership to ${id}:${id}`)
        // Containers run as that user (the Dockerfile image's uid 1000): without the chown they could not write here.
        if (process.getuid?.() === 0) chownSync(target, Number(id), Number(id))
      }
      verboseQuiet('Directory ready for mounting')
      return
    }
    case 'storage:mount': {
      const { positional } = parseFlags(command, args, {
        string: ['container-dir', 'phase', 'process-type', 'subpath', 'volume-options', 'volume-chown'],
        bool: ['readonly'],
      })
      const app = verifyApp(positional[0] ?? '')
      const spec = positional[1] ?? ''
      if (!spec.includes(':')) fail(`storage entry "${spec}" does not exist; create it first with \`dokku storage:create\``)
      const [host = '', container = ''] = spec.split(':')
      if (!host.startsWith('/') || !container.startsWith('/')) fail('Storage path must be two valid paths divided by colon.')
      let exists = false
      updateApp(app.name, (latest) => {
        exists = latest.mounts.some((mount) => mount.host === host && mount.container === container)
        return exists ? latest : { ...latest, mounts: [...latest.mounts, { host, container }] }
      })
      if (exists) fail('Mount path already exists.')
      return
    }
    case 'storage:unmount': {
      const { positional } = parseFlags(command, args, { string: ['container-dir'] })
      const app = verifyApp(positional[0] ?? '')
      const [host = '', container = ''] = (positional[1] ?? '').split(':')
      if (!app.mounts.some((mount) => mount.host === host && mount.container === container)) fail('Mount path does not exist.')
      updateApp(app.name, (latest) => ({
        ...latest,
        mounts: latest.mounts.filter((mount) => !(mount.host === host && mount.container === container)),
      }))
      return
    }
    case 'storage:list': {
      const { flags, positional } = parseFlags(command, args, { string: ['format'] })
      const app = verifyApp(positional[0] ?? '')
      const format = (flags.format as string | undefined) ?? 'text'
      if (format !== 'text' && format !== 'json') fail('Invalid --format value specified')
      if (format === 'json') {
        log(
          JSON.stringify(
            app.mounts.map((mount) => ({ host_path: mount.host, container_path: mount.container, volume_options: '' })),
          ),
        )
        return
      }
      info1Quiet(`${app.name} volume bind-mounts:`)
      for (const mount of app.mounts) {
        if (quiet()) log(`${mount.host}:${mount.container}`)
        else verbose(`${mount.host}:${mount.container}`)
      }
      return
    }
    default:
      throw new NotImplemented()
  }
}
