// Page-wide behaviour: ask before destructive actions, print buttons.
// Each feature with more to do has its own module (scanner.js, visit-form.js).

document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
