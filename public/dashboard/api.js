// The usage API as the dashboard calls it: the token kept in this tab's sessionStorage only, sent
// as a bearer token; an error carries the API's message and status.
const TOKEN = 'apiframe-gateway-token';

export const token = () => sessionStorage.getItem(TOKEN);
export const keepToken = (value) => sessionStorage.setItem(TOKEN, value);
export const forgetToken = () => sessionStorage.removeItem(TOKEN);

/** The response itself (a statement is HTML); a refusal throws with the API's message. */
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

export const api = async (path) => (await fetchAuthorised(path)).json();

/** A query string of the parameters that have a value. */
export function query(parameters) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) if (value) search.set(name, value);
  return search.toString();
}
