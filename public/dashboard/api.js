// The usage API as the dashboard calls it: the token kept in this tab's sessionStorage only, sent
// as a bearer token; an error carries the API's message and status.
const TOKEN = 'apiframe-gateway-token';

export const token = () => sessionStorage.getItem(TOKEN);
export const keepToken = (value) => sessionStorage.setItem(TOKEN, value);
export const forgetToken = () => sessionStorage.removeItem(TOKEN);

export async function api(path) {
  const response = await fetch(path, { headers: { authorization: `Bearer ${token()}` } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(body.error ?? `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

/** The response itself (a statement is HTML, not JSON), refused like `api`. */
export async function fetchAuthorised(path) {
  const response = await fetch(path, { headers: { authorization: `Bearer ${token()}` } });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    const error = new Error(body.error ?? `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return response;
}

/** A query string of the parameters that have a value. */
export function query(parameters) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) if (value) search.set(name, value);
  return search.toString();
}
