// opsbot web board: live cards over SSE, buttons, thread replies and the command box.
// Vendored with opsbot (no build step, no CDN). Cards arrive as HTML the server escaped; this script
// only places them and posts what people click or type, with the page's CSRF token.
(() => {
  'use strict';
  const meta = (name) => (document.querySelector(`meta[name="${name}"]`) || {}).content || '';
  const csrf = meta('csrf-token');
  const incidents = document.getElementById('incidents');
  const answers = document.getElementById('answers');
  if (!incidents || !answers) return;  // the status page has no board
  const live = document.getElementById('live');
  const filters = Array.from(document.querySelectorAll('select[data-filter]'));

  async function post(path, body) {
    const response = await fetch(path, {
      method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
      body: JSON.stringify(body),
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {error: `HTTP ${response.status}`}; }
    return {ok: response.ok, data};
  }

  function fragment(html) {
    const template = document.createElement('template');
    template.innerHTML = html;
    return template.content.firstElementChild;
  }

  function visible(card) {
    return filters.every((select) => !select.value || card.dataset[select.dataset.filter] === select.value);
  }

  function applyFilters() {
    document.querySelectorAll('article.card').forEach((card) => { card.hidden = !visible(card); });
  }

  function place(html, kind) {
    const card = fragment(html);
    if (!card) return;
    const old = document.getElementById(card.id);
    if (old) {
      const details = old.querySelector('details.thread');
      if (details && details.open) card.querySelector('details.thread').open = true;
      old.replaceWith(card);
    } else {
      (kind === 'triage' ? incidents : answers).prepend(card);
    }
    card.hidden = !visible(card);
    document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
  }

  function connect() {
    const since = meta('stream-since');
    const source = new EventSource(`/web/events${since ? `?since=${encodeURIComponent(since)}` : ''}`);
    source.addEventListener('open', () => { live.textContent = 'live'; document.body.dataset.live = '1'; });
    source.addEventListener('error', () => { live.textContent = 'reconnecting…'; document.body.dataset.live = ''; });
    source.addEventListener('card', (event) => {
      const data = JSON.parse(event.data);
      place(data.html, data.kind);
    });
  }

  function say(element, text) { if (element) element.textContent = text; }

  document.addEventListener('click', async (event) => {
    const button = event.target.closest('button.action');
    if (!button) return;
    const card = button.closest('article.card');
    button.disabled = true;
    const {data} = await post('/web/action', {
      action: button.dataset.action, value: button.dataset.value, post_id: card ? card.dataset.id : '',
    });
    button.title = data.error || data.message || '';
    button.classList.add(data.error ? 'failed' : 'sent');
    if (data.error) button.disabled = false;
  });

  document.addEventListener('submit', async (event) => {
    const form = event.target;
    if (form.classList.contains('reply')) {
      event.preventDefault();
      const input = form.querySelector('input[name="text"]');
      if (!input.value.trim()) return;
      const {data} = await post('/web/reply', {post_id: form.dataset.post, text: input.value});
      if (data.html) place(data.html, 'help');
      input.value = '';
    } else if (form.id === 'command') {
      event.preventDefault();
      const status = document.getElementById('command-status');
      const text = form.querySelector('textarea[name="text"]').value;
      if (!text.trim()) return;
      say(status, 'sending…');
      const {data} = await post('/web/command', {text, channel: form.querySelector('select[name="channel"]').value});
      if (data.html) place(data.html, data.kind);
      say(status, data.error || data.message || '');
    }
  });

  filters.forEach((select) => select.addEventListener('change', applyFilters));
  applyFilters();
  connect();
})();
