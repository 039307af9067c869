// A team's statement opens in a new tab. The statement route wants the bearer token like every
// usage route, which a plain link cannot send: the page fetches it and shows what came back.
import { fetchAuthorised } from './api.js';
import { $ } from './dom.js';

export async function openStatement(href, team) {
  // Opened at once, while the click still allows a new tab; filled when the statement arrives.
  const tab = window.open('', '_blank');
  try {
    const response = await fetchAuthorised(href);
    const blob = new Blob([await response.text()], { type: 'text/html' });
    const url = URL.createObjectURL(blob);
    if (tab) tab.location.href = url;
    else window.location.href = url;
  } catch (error) {
    tab?.close();
    $('#report-error').textContent = `The statement of team ${team}: ${error.message}`;
  }
}
