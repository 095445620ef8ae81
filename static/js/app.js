// Page-wide behaviour: ask before destructive actions. Each feature gets its own module.

document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
