import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { unzipSync } from 'fflate'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MemoryLogger } from '@django-deploy/shared/runtime'
import { NetlifyApi } from '../src/netlify/api.js'
import { digestDirectory } from '../src/netlify/digest.js'
import type { HttpRequest, HttpResponse, HttpTransport } from '../src/netlify/http.js'
import { chooseUploadMode, plannedUploadMode, ZIP_UPLOAD_THRESHOLD } from '../src/netlify/upload-mode.js'
import { writeSiteZip } from '../src/netlify/zip.js'

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'netlify-zip-'))
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function site(files: Record<string, string | Buffer>): Promise<string> {
  const root = path.join(dir, 'site')
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true })
    await writeFile(path.join(root, name), content)
  }
  return root
}

describe('chooseUploadMode', () => {
  it('zips a production deploy only above the threshold, which stays below the 500 requests a minute', () => {
    expect(ZIP_UPLOAD_THRESHOLD).toBe(400)
    expect(ZIP_UPLOAD_THRESHOLD).toBeLessThan(500)
    expect(chooseUploadMode({ kind: 'production' }, 400)).toEqual({
      mode: 'digest',
      paths: 400,
      label: 'digest (400 files to upload, at most 400)',
    })
    expect(chooseUploadMode({ kind: 'production' }, 401)).toEqual({
      mode: 'zip',
      paths: 401,
      label: 'zip (401 files to upload, more than 400)',
    })
    expect(chooseUploadMode({ kind: 'production' }, 0).mode).toBe('digest')
    expect(chooseUploadMode({ kind: 'production' }, 11, 10).mode).toBe('zip')
  })

  it('keeps previews and drafts on the digest however many files they need (a raw zip cannot say draft or branch)', () => {
    expect(chooseUploadMode({ kind: 'alias', alias: 'pr-3' }, 20_000)).toEqual({
      mode: 'digest',
      paths: 20_000,
      label: 'digest (20000 files to upload; previews always upload by digest)',
    })
    expect(chooseUploadMode({ kind: 'draft' }, 20_000).mode).toBe('digest')
  })

  it('plans what it can know before Netlify compares the files', () => {
    expect(plannedUploadMode({ kind: 'production' }, 12)).toBe('digest (12 files, so at most 400 to upload)')
    expect(plannedUploadMode({ kind: 'production' }, 5000)).toBe(
      'zip if Netlify needs more than 400 of the 5000 files, else digest',
    )
    expect(plannedUploadMode({ kind: 'production' }, undefined)).toBe(
      "zip if Netlify needs more than 400 of the site's files, else digest",
    )
    expect(plannedUploadMode({ kind: 'alias', alias: 'pr-1' }, 5000)).toBe(
      'digest (previews always upload by digest; 5000 files)',
    )
  })
})

describe('writeSiteZip', () => {
  it('holds exactly the files of the digest, by deploy path, with their bytes (dotfiles stay out as in the digest)', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, ...Array.from({ length: 300 }, (_, i) => i % 256)])
    const root = await site({
      'index.html': '<h1>home</h1>'.repeat(50),
      'blog/post-1/index.html': 'post one',
      'static/logo.png': png,
      _redirects: '/old / 301\n',
      '.env': 'SECRET=1',
      '.well-known/security.txt': 'Contact: mailto:x@example.org',
    })
    const digest = await digestDirectory(root)
    const built = await writeSiteZip(digest, path.join(dir, 'site.zip'))
    const bytes = await readFile(built.path)
    expect(built.bytes).toBe(bytes.length)
    expect((await stat(built.path)).size).toBe(bytes.length)
    expect(built.entries).toBe(5)
    const entries = unzipSync(new Uint8Array(bytes))
    expect(Object.keys(entries).sort()).toEqual(
      ['.well-known/security.txt', '_redirects', 'blog/post-1/index.html', 'index.html', 'static/logo.png'].sort(),
    )
    expect(Buffer.from(entries['index.html']!).toString()).toBe('<h1>home</h1>'.repeat(50))
    expect(Buffer.from(entries['static/logo.png']!).equals(png)).toBe(true)
    // Repetitive HTML is deflated: the zip is smaller than the files.
    expect(bytes.length).toBeLessThan(digest.bytes + 5 * 100)
  })

  it('gives the same bytes for the same site (fixed entry times, sorted entries)', async () => {
    const root = await site({ 'b.html': 'b', 'a.html': 'a'.repeat(1000), 'c/d.css': 'body{}' })
    const digest = await digestDirectory(root)
    const first = await readFile((await writeSiteZip(digest, path.join(dir, 'one.zip'))).path)
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const second = await readFile((await writeSiteZip(digest, path.join(dir, 'two.zip'))).path)
    expect(first.equals(second)).toBe(true)
  })

  it('fails when the zip cannot be written', async () => {
    const digest = await digestDirectory(await site({ 'index.html': 'x' }))
    await expect(writeSiteZip(digest, path.join(dir, 'no-such-dir', 'site.zip'))).rejects.toThrow(/ENOENT/)
  })
})

describe('NetlifyApi.createZipDeploy', () => {
  it('streams the file as application/zip and, after a 429, waits as told and sends the whole file again', async () => {
    const zip = path.join(dir, 'site.zip')
    await writeFile(zip, Buffer.alloc(70_000, 7))
    const seen: Array<{ request: HttpRequest; bytes: number }> = []
    const transport: HttpTransport = {
      send: async (request): Promise<HttpResponse> => {
        // As fetchTransport: each attempt reads the file from the start.
        const bytes = request.bodyFile ? (await readFile(request.bodyFile.path)).length : 0
        seen.push({ request, bytes })
        if (seen.length === 1)
          return { status: 429, headers: { 'retry-after': '3', 'x-ratelimit-remaining': '0' }, body: Buffer.from('{}') }
        return { status: 200, headers: {}, body: Buffer.from(JSON.stringify({ id: 'd1', state: 'uploaded' })) }
      },
    }
    const sleeps: number[] = []
    let clock = 1_800_000_000_000
    const api = new NetlifyApi({
      token: 'tok',
      transport,
      apiUrl: 'http://127.0.0.1:1/api/v1',
      log: new MemoryLogger(),
      random: () => 0,
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms)
        clock += ms
      },
    })
    const deploy = await api.createZipDeploy('site-1', 'abc1234 via run 9', { path: zip, size: 70_000 }, 300_000)
    expect(deploy).toEqual({ id: 'd1', state: 'uploaded' })
    expect(seen).toHaveLength(2)
    for (const { request, bytes } of seen) {
      expect(request.method).toBe('POST')
      expect(request.url).toBe('http://127.0.0.1:1/api/v1/sites/site-1/deploys?title=abc1234+via+run+9')
      expect(request.headers['content-type']).toBe('application/zip')
      expect(request.body).toBeUndefined()
      expect(request.bodyFile).toEqual({ path: zip, size: 70_000 })
      expect(request.timeoutMs).toBe(300_000)
      expect(bytes).toBe(70_000)
    }
    expect(sleeps).toEqual([3000])
    expect(api.counts).toEqual({ byOperation: { createSiteDeploy: 2 }, retries: 1 })
  })
})
