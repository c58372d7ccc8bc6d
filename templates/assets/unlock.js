// tarea: opens a password-protected packet in the browser. The page holds only ciphertext; the
// password never leaves this device: PBKDF2-SHA256 derives the key, AES-256-GCM decrypts, and the
// packet's pages and files are shown from memory.
(function () {
  "use strict";
  var sealed = JSON.parse(document.getElementById("tarea-sealed").textContent);
  var form = document.getElementById("unlock");
  var message = document.getElementById("unlock-message");
  var bundle = null;
  var urls = {};

  function bytes(base64) {
    var binary = atob(base64), out = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  }

  function decrypt(password) {
    var subtle = window.crypto.subtle;
    return subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveKey"])
      .then(function (base) {
        return subtle.deriveKey(
          { name: "PBKDF2", salt: bytes(sealed.salt), iterations: sealed.iterations, hash: "SHA-256" },
          base, { name: "AES-GCM", length: 256 }, false, ["decrypt"]);
      })
      .then(function (key) { return subtle.decrypt({ name: "AES-GCM", iv: bytes(sealed.iv) }, key, bytes(sealed.data)); })
      .then(function (plain) { return JSON.parse(new TextDecoder().decode(plain)); });
  }

  function fileUrl(name) {
    if (!urls[name]) {
      var type = /\.pdf$/.test(name) ? "application/pdf" : /\.md$/.test(name) ? "text/markdown" : "application/octet-stream";
      urls[name] = URL.createObjectURL(new Blob([bytes(bundle.files[name])], { type: type }));
    }
    return urls[name];
  }

  function show(name) {
    var doc = new DOMParser().parseFromString(bundle.pages[name], "text/html");
    document.title = doc.title;
    document.body.replaceWith(document.importNode(doc.body, true));
    document.querySelectorAll("a[href]").forEach(function (a) {
      var href = a.getAttribute("href");
      if (bundle.files[href]) { a.href = fileUrl(href); a.setAttribute("download", href); }
    });
    window.scrollTo(0, 0);
    // The page changed without a load: move focus to its title so a screen reader announces it.
    var title = document.querySelector("h1");
    if (title) { title.setAttribute("tabindex", "-1"); title.focus({ preventScroll: true }); }
    // form.js sets up the fields of the page just shown.
    document.dispatchEvent(new CustomEvent("tarea:page"));
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href]") : null;
    if (!link || !bundle) return;
    var href = link.getAttribute("href");
    if (bundle.pages[href]) {
      event.preventDefault();
      show(href);
      history.pushState({ page: href }, "", "#" + href);
    }
  });
  window.addEventListener("popstate", function (event) {
    if (bundle) show((event.state && event.state.page) || "index.html");
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    message.textContent = form.getAttribute("data-working");
    decrypt(form.elements.password.value).then(function (opened) {
      bundle = opened;
      show("index.html");
      history.replaceState({ page: "index.html" }, "");
    }).catch(function () {
      message.textContent = form.getAttribute("data-wrong");
      form.elements.password.select();
    });
  });
})();
