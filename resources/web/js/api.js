// The customer pages' one way to the API: queries and mutations over HTTP, subscriptions
// through graphql-ws (vendor/graphql-ws.min.js, the global `graphqlWs`). No staff token
// is ever sent: a page is public, or shows an order's own accessToken.

const ENDPOINT = "/graphql";

export class ApiError extends Error {
  constructor(message, code, field, extensions) {
    super(message);
    this.code = code;
    this.field = field;
    this.extensions = extensions || {};
  }
}

function firstError(errors) {
  const error = errors[0] || {};
  const ext = error.extensions || {};
  return new ApiError(error.message || "the request failed", ext.code, ext.field, ext);
}

/** POST one operation; resolves to its data, rejects with an ApiError. */
export async function request(query, variables = {}, token = null) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(ENDPOINT, {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
      credentials: "omit",
    });
  } catch (exc) {
    throw new ApiError("No connection to the restaurant. Check your network and try again.", "NETWORK");
  }
  let body;
  try {
    body = await response.json();
  } catch (exc) {
    throw new ApiError(`The restaurant's server answered ${response.status}. Try again in a moment.`, "NETWORK");
  }
  if (body.errors && body.errors.length) throw firstError(body.errors);
  return body.data;
}

function socketUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${ENDPOINT}`;
}

/**
 * A graphql-ws client that never gives up: it reconnects (and re-subscribes) after any
 * drop, with a short backoff, and says so through `onState("live" | "reconnecting")`.
 */
export function liveClient(token = null, onState = () => {}) {
  const client = graphqlWs.createClient({
    url: socketUrl(),
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    lazy: true,
    keepAlive: 10_000,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait: async (retries) => {
      const wait = Math.min(500 * 2 ** retries, 8_000) + Math.random() * 500;
      await new Promise((resolve) => setTimeout(resolve, wait));
    },
    on: {
      connected: () => onState("live"),
      closed: () => onState("reconnecting"),
    },
  });
  return client;
}

/** Follow one subscription: `onData(data)` for each result, `onError(ApiError)` once. */
export function follow(client, query, variables, onData, onError) {
  return client.subscribe(
    { query, variables },
    {
      next: (result) => {
        if (result.errors && result.errors.length) onError(firstError(result.errors));
        else onData(result.data);
      },
      error: (error) => {
        if (Array.isArray(error)) onError(firstError(error));
        else onError(new ApiError("The live connection failed. Reload the page.", "NETWORK"));
      },
      complete: () => {},
    },
  );
}

/** A random UUID (v4). crypto.randomUUID needs HTTPS; a restaurant's LAN is plain HTTP. */
export function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// As the dashboard shows prices: the amount with two decimals, no currency sign.
const MONEY = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function money(cents) {
  return MONEY.format(cents / 100);
}

/** An element with attributes and children (strings become text: no HTML is parsed). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}
