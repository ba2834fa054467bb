// Passkeys (WebAuthn): the only script of the sign-in, second-factor and account pages besides
// form_post.js. Buttons with data-passkey="register" or "authenticate" run a ceremony against the
// JSON endpoints named in data-begin and data-finish, then go where the server says. Served from
// /static (CSP script-src 'self'); pages work without it (codes and passwords need no script).
"use strict";
(function () {
  function toBuffer(b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out.buffer;
  }

  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().then(function (json) {
        if (!res.ok) { throw new Error(json.error_description || notAccepted()); }
        return json;
      });
    });
  }

  function creationOptions(options) {
    var pk = options.publicKey;
    pk.challenge = toBuffer(pk.challenge);
    pk.user.id = toBuffer(pk.user.id);
    (pk.excludeCredentials || []).forEach(function (c) { c.id = toBuffer(c.id); });
    return { publicKey: pk };
  }

  function requestOptions(options) {
    var pk = options.publicKey;
    pk.challenge = toBuffer(pk.challenge);
    (pk.allowCredentials || []).forEach(function (c) { c.id = toBuffer(c.id); });
    return { publicKey: pk };
  }

  function registration(cred) {
    return {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      response: {
        attestationObject: toB64url(cred.response.attestationObject),
        clientDataJSON: toB64url(cred.response.clientDataJSON)
      },
      extensions: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}
    };
  }

  function assertion(cred) {
    return {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      response: {
        authenticatorData: toB64url(cred.response.authenticatorData),
        clientDataJSON: toB64url(cred.response.clientDataJSON),
        signature: toB64url(cred.response.signature),
        userHandle: cred.response.userHandle ? toB64url(cred.response.userHandle) : null
      },
      extensions: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}
    };
  }

  // The values the button names in data-fields, from its data-* attributes or the page's inputs.
  function fields(button) {
    var out = {};
    (button.getAttribute("data-fields") || "").split(" ").forEach(function (name) {
      if (!name) { return; }
      var input = document.getElementById(name) || document.querySelector("[name='" + name + "']");
      var value = button.getAttribute("data-" + name.replace(/_/g, "-"));
      out[name] = value !== null ? value : (input ? input.value : "");
    });
    return out;
  }

  // The page's own words for a refused passkey, in its language (data-message on #passkey-error).
  function notAccepted() {
    var box = document.getElementById("passkey-error");
    return (box && box.getAttribute("data-message")) || "The passkey was not accepted.";
  }

  function showError(message) {
    var box = document.getElementById("passkey-error");
    if (box) {
      box.querySelector("p").textContent = message;
      box.setAttribute("role", "alert");
      box.hidden = false;
    }
  }

  function ceremony(button) {
    var register = button.getAttribute("data-passkey") === "register";
    var body = fields(button);
    button.disabled = true;
    post(button.getAttribute("data-begin"), body).then(function (begun) {
      var call = register
        ? navigator.credentials.create(creationOptions(begun.options)).then(registration)
        : navigator.credentials.get(requestOptions(begun.options)).then(assertion);
      return call.then(function (credential) {
        body.ceremony = begun.ceremony;
        body.credential = credential;
        return post(button.getAttribute("data-finish"), body);
      });
    }).then(function (done) {
      window.location.assign(done.next);
    }).catch(function (err) {
      button.disabled = false;
      showError(err && err.message ? err.message : notAccepted());
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var supported = !!(window.PublicKeyCredential && navigator.credentials);
    document.querySelectorAll("[data-passkey]").forEach(function (button) {
      button.hidden = !supported;
      button.addEventListener("click", function (event) {
        event.preventDefault();
        ceremony(button);
      });
    });
  });
})();
