// Preloaded into netlify-cli when it is pointed at the local Netlify stand-in (NODE_OPTIONS=--import):
// the CLI also fetches from Netlify's extension and telemetry services, which this machine must
// never contact. Any fetch() to a host other than the loopback fails at once, as it would offline.
const realFetch = globalThis.fetch
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])
globalThis.fetch = (input, init) => {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url)
  if (!LOOPBACK.has(url.hostname)) return Promise.reject(new TypeError(`fetch to ${url.host} blocked (offline benchmark)`))
  return realFetch(input, init)
}
