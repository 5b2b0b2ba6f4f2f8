"""The page's own JavaScript: citation jumps, the copy buttons, and the keyboard."""

# Clicking a citation marker scrolls to its source card and makes it flash (plain anchors work too).
CITE_JS = """
element.addEventListener('click', (ev) => {
  const a = ev.target.closest && ev.target.closest('a.rag-cite');
  if (!a) return;
  const card = element.querySelector('#' + CSS.escape(a.dataset.target || ''));
  if (!card) return;
  ev.preventDefault();
  card.classList.remove('rag-flash'); void card.offsetWidth; card.classList.add('rag-flash');
  card.scrollIntoView({behavior: 'smooth', block: 'center'});
  setTimeout(() => card.classList.remove('rag-flash'), 2500);
});
// Copy an answer, with or without its references (plain text)
element.addEventListener('click', (ev) => {
  const b = ev.target.closest && ev.target.closest('button.rag-copy');
  if (!b) return;
  const turn = b.closest('.rag-turn');
  const ans = turn && turn.querySelector('.rag-answer');
  if (!ans) return;
  let text = ans.innerText.trim();
  if (b.dataset.refs === '1') {
    const refs = [...turn.querySelectorAll('.rag-card')].map((c) => {
      const n = c.querySelector('.rag-n'), t = c.querySelector('.rag-title');
      const id = c.querySelector('code'), url = c.querySelector('a.ext');
      return `${n ? n.innerText : ''} ${t ? t.innerText : ''} (${id ? id.innerText : ''})` +
        (url ? ` ${url.href}` : '');
    });
    if (refs.length) text += '\\n\\nReferences\\n' + refs.join('\\n');
  }
  const done = () => { const o = b.innerText; b.innerText = 'Copied'; setTimeout(() => { b.innerText = o; }, 1500); };
  const fallback = () => {
    const ta = document.createElement('textarea'); ta.value = text; document.body.appendChild(ta);
    ta.select(); try { document.execCommand('copy'); } catch (e) {} ta.remove(); done();
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, fallback);
  } else { fallback(); }
  window.__ragCopied = text;
});
// Keyboard: Esc stops a streaming answer (Enter sends, Shift+Enter is a new line: the textbox)
if (!window.__ragKeys) {
  window.__ragKeys = true;
  document.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape') return;
    const stop = document.querySelector('#rag-stop');
    if (stop && document.querySelector('.rag-streaming')) { ev.preventDefault(); stop.click(); }
  });
  // A narrow screen (a phone): the chats sidebar starts closed (its toggle opens it), and it
  // closes again once a chat is chosen, so the conversation is never hidden behind it
  const narrow = () => window.matchMedia('(max-width: 720px)').matches;
  const closeSidebar = () => {
    const sb = document.querySelector('#rag-sidebar');
    const t = sb && sb.querySelector('.toggle-button');
    if (t && sb.classList.contains('open')) { t.click(); return true; }
    return false;
  };
  if (narrow()) {
    // the sidebar opens itself once mounted (seconds after the page on a busy machine): wait
    // for that, then close it; a tap on its toggle meanwhile is the user's choice, left alone
    const until = Date.now() + 30000;
    let chosen = false;
    document.addEventListener('pointerdown', (ev) => {
      if (ev.target.closest && ev.target.closest('#rag-sidebar .toggle-button')) chosen = true;
    }, true);
    const wait = setInterval(() => {
      if (chosen || closeSidebar() || Date.now() > until) clearInterval(wait);
    }, 50);
  }
  document.addEventListener('click', (ev) => {
    if (!narrow() || !ev.target.closest) return;
    if (ev.target.closest('#rag-chats label, #rag-new-chat, #rag-delete-chat')) {
      setTimeout(closeSidebar, 150);
    }
  });
}
"""
