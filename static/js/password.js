// "Show password" on the login form (templates/login.html). The button is hidden in the HTML and
// shown only here, so without JavaScript the field is a plain password field. Loaded as a file:
// the Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  document.querySelectorAll("[data-password-toggle]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-password-toggle"));
    if (!input) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var show = input.type === "password";
      input.type = show ? "text" : "password";
      // The words come from the page, in its language (data-text-show / data-text-hide).
      button.textContent = show
        ? button.getAttribute("data-text-hide") || "Hide"
        : button.getAttribute("data-text-show") || "Show";
      button.setAttribute("aria-pressed", show ? "true" : "false");
      input.focus();
    });
  });
})();
