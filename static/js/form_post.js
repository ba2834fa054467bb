// OAuth 2.0 Form Post Response Mode §2: submit the authorization response to the client.
// The only script Portcullis serves (CSP default-src 'self'); without it, a <noscript> button does the same.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("form-post");
  if (form) {
    form.submit();
  }
});
