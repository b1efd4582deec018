/** An HTTP answer read whole: what the Netlify client and the page fetchers hand back. */
export interface HttpResponse {
  status: number
  /** Lower-case header names, repeated ones joined. */
  headers: Record<string, string>
  body: Buffer
}
