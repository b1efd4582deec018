#!/usr/bin/env node
// GET a URL and check the answer, for the workflow steps that look at what an action deployed
// (the CI container has no curl).   node test/repo/ci/http-get.mjs URL [STATUS] [TEXT]
const [url, status = '200', text] = process.argv.slice(2)
if (!url) {
  console.error('usage: node test/repo/ci/http-get.mjs URL [STATUS] [TEXT]')
  process.exit(2)
}
let response
try {
  response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(30_000) })
} catch (error) {
  console.error(`GET ${url} failed: ${error.cause?.message ?? error.message}`)
  process.exit(1)
}
const body = await response.text()
if (String(response.status) !== status) {
  console.error(`GET ${url} answered ${response.status}, expected ${status}:\n${body.slice(0, 2000)}`)
  process.exit(1)
}
if (text && !body.includes(text)) {
  console.error(`GET ${url} answered ${response.status} without '${text}':\n${body.slice(0, 2000)}`)
  process.exit(1)
}
console.log(`GET ${url} → ${response.status}${text ? `, contains '${text}'` : ''}`)
