// A little help where it matters; every page works without it.
document.addEventListener('click', (e) => {
  const b = e.target.closest('button[data-copy]');
  if (!b) return;
  const field = document.getElementById(b.dataset.copy);
  if (!field) return;
  const done = () => { const was = b.textContent; b.textContent = b.dataset.done || was; setTimeout(() => { b.textContent = was; }, 1500); };
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(field.value).then(done, () => { field.select(); });
  else { field.select(); try { document.execCommand('copy'); done(); } catch (_) { /* selected: the user copies */ } }
});
// Filters apply as they change; typing in search waits for a pause.
document.querySelectorAll('form[role="search"]').forEach((f) => {
  let t;
  f.querySelectorAll('[data-live]').forEach((el) => {
    el.addEventListener(el.tagName === 'SELECT' ? 'change' : 'input', () => {
      clearTimeout(t); t = setTimeout(() => f.requestSubmit(), el.tagName === 'SELECT' ? 0 : 400);
    });
  });
});
// A link to a closed <details> opens it.
document.querySelectorAll('a[data-open]').forEach((a) => a.addEventListener('click', () => {
  const d = document.getElementById(a.dataset.open); if (d) d.open = true;
}));
if (location.hash) { const d = document.getElementById(location.hash.slice(1)); if (d && d.tagName === 'DETAILS') d.open = true; }
