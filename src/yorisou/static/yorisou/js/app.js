// Yorisou: send the CSRF token with every htmx request; move focus to swapped content.
document.addEventListener("htmx:configRequest", (event) => {
  event.detail.headers["X-CSRFToken"] = document.body.dataset.csrf;
});
document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target;
  if (target && target.id) {
    target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
  }
});
